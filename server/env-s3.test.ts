/** The S3 artifact-store settings in the one environment schema: defaults, checks and messages that name the variable. */
import { describe, expect, it } from "vitest";
import { EnvironmentError, getEnv } from "./env";

function messageOf(source: Record<string, string>): string {
  try {
    getEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentError);
    return (error as Error).message;
  }
  throw new Error("expected the environment to be refused");
}

describe("DNO_S3_* settings", () => {
  it("no bucket: the local folder (empty values count as unset)", () => {
    expect(getEnv({}).s3).toBeUndefined();
    expect(getEnv({ DNO_S3_BUCKET: "", DNO_S3_REGION: "" }).s3).toBeUndefined();
  });

  it("a bucket alone: AWS in us-east-1 with the SDK's default credentials, virtual-host style, no prefix", () => {
    expect(getEnv({ DNO_S3_BUCKET: "dno-artifacts" }).s3).toEqual({
      bucket: "dno-artifacts",
      endpoint: undefined,
      region: "us-east-1",
      credentials: undefined,
      forcePathStyle: false,
      prefix: "",
    });
  });

  it("a MinIO endpoint: path style by default, keys together, the prefix ends in /", () => {
    expect(
      getEnv({
        DNO_S3_BUCKET: "dno",
        DNO_S3_ENDPOINT: "http://minio:9000",
        DNO_S3_REGION: "eu-west-3",
        DNO_S3_ACCESS_KEY_ID: "dno",
        DNO_S3_SECRET_ACCESS_KEY: "secret-key",
        DNO_S3_PREFIX: "studio/prod",
      }).s3,
    ).toEqual({
      bucket: "dno",
      endpoint: "http://minio:9000",
      region: "eu-west-3",
      credentials: { accessKeyId: "dno", secretAccessKey: "secret-key" },
      forcePathStyle: true,
      prefix: "studio/prod/",
    });
    expect(
      getEnv({
        DNO_S3_BUCKET: "dno",
        DNO_S3_ENDPOINT: "https://r2.example.com",
        DNO_S3_FORCE_PATH_STYLE: "false",
      }).s3?.forcePathStyle,
    ).toBe(false);
    expect(getEnv({ DNO_S3_BUCKET: "dno", DNO_S3_FORCE_PATH_STYLE: "1" }).s3?.forcePathStyle).toBe(true);
  });

  it("refuses a bad endpoint, bucket, region, prefix or switch, naming the variable", () => {
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_ENDPOINT: "minio:9000:x" })).toContain(
      "DNO_S3_ENDPOINT: must",
    );
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_ENDPOINT: "not a url" })).toContain(
      "DNO_S3_ENDPOINT: must be a URL such as http://minio:9000",
    );
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_ENDPOINT: "ftp://minio" })).toContain(
      "DNO_S3_ENDPOINT: must start with http:// or https://",
    );
    expect(messageOf({ DNO_S3_BUCKET: "Bad_Bucket" })).toContain("DNO_S3_BUCKET: must be a bucket name");
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_REGION: "Europe West" })).toContain("DNO_S3_REGION");
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_PREFIX: "../up" })).toContain("DNO_S3_PREFIX");
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_PREFIX: "/abs" })).toContain("DNO_S3_PREFIX");
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_FORCE_PATH_STYLE: "maybe" })).toContain(
      "DNO_S3_FORCE_PATH_STYLE: must be true or false",
    );
  });

  it("never echoes credentials written into the endpoint", () => {
    const message = messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_ENDPOINT: "http://admin:hunter2@minio:9000" });
    expect(message).toContain("DNO_S3_ENDPOINT: must not contain a user name or password");
    expect(message).not.toContain("hunter2");
  });

  it("refuses S3 settings without a bucket, and one key without the other", () => {
    expect(messageOf({ DNO_S3_ENDPOINT: "http://minio:9000" })).toContain(
      "DNO_S3_ENDPOINT: is set but DNO_S3_BUCKET is not",
    );
    expect(messageOf({ DNO_S3_BUCKET: "dno", DNO_S3_ACCESS_KEY_ID: "dno" })).toContain(
      "DNO_S3_SECRET_ACCESS_KEY: is missing: set DNO_S3_ACCESS_KEY_ID and DNO_S3_SECRET_ACCESS_KEY together",
    );
  });
});
