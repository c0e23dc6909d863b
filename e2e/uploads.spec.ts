/**
 * Uploads, end to end: a custom ONNX scoring model (built here in TypeScript) is uploaded through the
 * Reward node's file picker and a run with it goes to completion; a file that is not a scoring model is
 * refused with its message and kept nowhere; the Uploaded files page lists the scorer with where it is used.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { tinyScorer } from "../server/assets/testing/tiny-scorer";
import { writeZip, type ZipEntrySpec } from "../server/assets/testing/zip-writer";
import { EditorPage } from "./pages/editor-page";
import { RunBar } from "./pages/run-pages";
import { WorkflowListPage } from "./pages/workflow-list-page";

test.setTimeout(180_000);

test("upload a custom ONNX reward through the file picker and run it", async ({ page }) => {
  const list = new WorkflowListPage(page);
  const editor = new EditorPage(page);
  const bar = new RunBar(page);
  const name = `Custom scorer ${Date.now()}`;

  // A workflow of its own (the example's copy), so other specs' run counts are not touched.
  await list.goto();
  const exported = JSON.parse(
    fs.readFileSync(await (await list.export("Brighten with a guard")).path(), "utf8"),
  );
  await list.importFile({
    name: "custom.dno.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify({ ...exported, name })),
  });
  await expect(page.getByTestId("workflows.info")).toContainText("Imported");
  await list.open(name);

  await editor.param("sampler-1", "steps").fill("4");
  await editor.param("optimizer-1", "iterations").fill("3");
  await editor.param("reward-1", "kind").selectOption("custom-onnx");
  const picker = editor.param("reward-1", "modelAsset");
  await expect(picker).toBeVisible();

  // Not a scoring model: the server's sentence is shown and nothing is picked.
  await page.getByTestId("param.reward-1.modelAsset.file").setInputFiles({
    name: "notes.onnx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("these are notes, not a model"),
  });
  await expect(page.getByTestId("param.reward-1.modelAsset.upload-error")).toHaveText(
    "“notes.onnx” is not an ONNX model (it could not be read as one). Export your scoring model with torch.onnx.export (or onnx.save) and upload the .onnx file.",
  );
  await expect(picker).toHaveValue("");
  // A wrong input shape (four channels) is refused with what a scorer must take.
  await page.getByTestId("param.reward-1.modelAsset.file").setInputFiles({
    name: "rgba.onnx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from(tinyScorer({ inputShape: ["batch", 4, "h", "w"] })),
  });
  await expect(page.getByTestId("param.reward-1.modelAsset.upload-error")).toHaveText(
    "“rgba.onnx”'s input “pixels” is shaped [batch, 4, h, w]; a scoring model takes pictures as float32 [N, 3, H, W] (3 colour channels).",
  );

  // The real scorer: uploaded, then shown by name and chosen.
  await page.getByTestId("param.reward-1.modelAsset.file").setInputFiles({
    name: "e2e-scorer.onnx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from(tinyScorer()),
  });
  await expect(page.getByTestId("param.reward-1.modelAsset.name")).toHaveText(
    "Uploaded file: e2e-scorer.onnx",
  );
  await expect(page.getByTestId("param.reward-1.modelAsset.upload-error")).toHaveCount(0);
  const assetId = await picker.inputValue();
  expect(assetId).toMatch(/^[a-z0-9_-]{1,64}$/);

  await bar.run();
  await expect(bar.status()).toHaveText("succeeded", { timeout: 120_000 });
  expect(await bar.iteration()).toBe(3);
  expect(Number.isFinite(await bar.reward("reward-1"))).toBe(true);

  // The Uploaded files page lists the scorer, used by this workflow, so it cannot be deleted; the
  // refused uploads are nowhere.
  await list.goto();
  await page.getByTestId("nav.assets").click();
  await expect(page.getByTestId("asset-list")).toBeVisible();
  await expect(page.getByTestId(`assets.row.${assetId}.name`)).toHaveText("e2e-scorer.onnx");
  await expect(page.getByTestId(`assets.row.${assetId}.used-by`)).toContainText(name);
  await expect(page.getByTestId(`assets.delete.${assetId}`)).toBeDisabled();
  await expect(page.getByTestId("assets.table")).not.toContainText("notes.onnx");
  await expect(page.getByTestId("assets.table")).not.toContainText("rgba.onnx");

  // The same page refuses a malformed upload with the same message.
  await page.getByTestId("assets.upload.scorer").setInputFiles({
    name: "notes.onnx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("these are notes, not a model"),
  });
  await expect(page.getByTestId("assets.error")).toContainText("“notes.onnx” is not an ONNX model");
  await expect(page.getByTestId("assets.table")).not.toContainText("notes.onnx");
});

test("upload a diffusers ONNX model as a .zip on the Uploaded files page and find it in the Sampler's model list", async ({
  page,
}) => {
  // The bundled model's parts, zipped inside one folder as a user would zip an export.
  const modelDir = path.join(process.cwd(), "models", "tiny-shapes-sd");
  const entries: ZipEntrySpec[] = [];
  const add = (relative: string) =>
    entries.push({
      name: `e2e-model/${relative}`,
      data: new Uint8Array(fs.readFileSync(path.join(modelDir, relative))),
    });
  add("model_index.json");
  for (const part of ["tokenizer", "text_encoder", "unet", "vae_decoder", "scheduler"]) {
    for (const file of fs.readdirSync(path.join(modelDir, part))) {
      if (fs.statSync(path.join(modelDir, part, file)).isFile()) add(`${part}/${file}`);
    }
  }
  await page.goto("/assets");
  await expect(page.getByTestId("asset-list")).toBeVisible();
  // A zip with a path that climbs out of its folder is refused, and nothing is listed for it.
  await page.getByTestId("assets.upload.model").setInputFiles({
    name: "climb.zip",
    mimeType: "application/zip",
    buffer: Buffer.from(writeZip([{ name: "../../evil.txt", data: new Uint8Array([1]) }])),
  });
  await expect(page.getByTestId("assets.error")).toHaveText(
    "“climb.zip” contains an entry with an unsafe name (an absolute path, “..” or a backslash); zip the model folder's contents again with plain relative names.",
  );
  await page.getByTestId("assets.upload.model").setInputFiles({
    name: "e2e-model.zip",
    mimeType: "application/zip",
    buffer: Buffer.from(writeZip(entries)),
  });
  await expect(page.getByTestId("assets.info")).toContainText("e2e-model.zip", { timeout: 30_000 });
  await expect(page.getByTestId("assets.table")).toContainText("Diffusion model");
  await expect(page.getByTestId("assets.table")).not.toContainText("climb.zip");

  const list = new WorkflowListPage(page);
  await list.goto();
  await list.open("Brighten with a guard");
  await expect(
    new EditorPage(page)
      .param("sampler-1", "model")
      .locator("option", { hasText: "e2e-model.zip (uploaded)" }),
  ).toHaveCount(1);
});
