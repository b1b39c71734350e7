// tsc keeps the CLI's shebang but not an executable bit: set it so dist/cli/main.js runs directly.
import { chmodSync } from "node:fs";
chmodSync(new URL("../dist/cli/main.js", import.meta.url), 0o755);
