/**
 * "Use the pretrained model": the weights that ship in the project's pretrained/ folder
 * (listed by the demo server at pretrained/index.json), so that a visitor can draw a digit
 * without training first. The list is whatever the folder holds; without any, the row stays hidden.
 */
import { percent } from './format.js';
import { setPageState, type DemoPage } from './page.js';
import { loadWeightsBytes } from './weights-panel.js';

/** One shipped weights file, as the server lists it. */
export interface PretrainedEntry {
  file: string;
  preset: string;
  bytes: number;
  /** Test accuracy on the 10,000 MNIST test images, from the run record that trained it. */
  testAccuracy?: number;
}

/** Fills the Pretrained list from the server's index; hides the row when nothing ships. */
export async function listPretrained(page: DemoPage): Promise<void> {
  const ui = page.elements;
  const response = await fetch('pretrained/index.json');
  if (!response.ok) throw new Error(`Cannot list the pretrained models: HTTP ${response.status} ${response.statusText}`);
  const entries = (await response.json()) as PretrainedEntry[];
  ui.pretrained.replaceChildren(
    ...entries.map((entry) => {
      const accuracy = entry.testAccuracy === undefined ? '' : ` (test ${percent(entry.testAccuracy)})`;
      return new Option(`${entry.preset}${accuracy}`, entry.file);
    }),
  );
  ui.pretrainedRow.hidden = entries.length === 0;
}

/** Downloads the chosen shipped weights and makes them the page's model. */
export async function usePretrained(page: DemoPage): Promise<void> {
  const file = page.elements.pretrained.value;
  setPageState(page, 'busy');
  page.elements.status.textContent = `Downloading pretrained/${file}…`;
  const response = await fetch(`pretrained/${encodeURIComponent(file)}`);
  if (!response.ok) throw new Error(`Cannot download pretrained/${file}: HTTP ${response.status} ${response.statusText}`);
  await loadWeightsBytes(page, new Uint8Array(await response.arrayBuffer()), file, `pretrained weights shipped with webgpu-dl (pretrained/${file})`);
}
