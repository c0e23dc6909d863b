import { describe, expect, it } from "vitest";
import { findMentions } from "./find-mentions";

const people = [
  { id: "ana", name: "Ana", email: "ana@example.test" },
  { id: "ana-lopez", name: "Ana Lopez", email: "al@example.test" },
  { id: "ben", name: "Ben", email: "ben@example.test" },
];

describe("findMentions", () => {
  it("finds @name (spaces allowed, case-insensitive) and @email, in order, once each", () => {
    expect(findMentions("@ben and @ANA LOPEZ, then @ben again", people)).toEqual(["ben", "ana-lopez"]);
    expect(findMentions("cc @ana@example.test.", people)).toEqual(["ana"]);
    expect(findMentions("thanks @Ana.", people)).toEqual(["ana"]);
  });

  it("ignores e-mail addresses, partial names and names without @", () => {
    expect(findMentions("write to x@ben.example or @benjamin or Ben", people)).toEqual([]);
    expect(findMentions("@Anastasia", people)).toEqual([]);
  });

  it("lets the longer name win: @Ana Lopez does not also mention Ana", () => {
    expect(findMentions("@Ana Lopez", people)).toEqual(["ana-lopez"]);
    expect(findMentions("@Ana and @Ana Lopez", people)).toEqual(["ana", "ana-lopez"]);
  });
});
