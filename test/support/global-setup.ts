/** Builds the production bundle once, so runtime tests start the file the image ships. */
import { bundle } from "../../scripts/build.ts";

export default async function setup(): Promise<void> {
  await bundle();
}
