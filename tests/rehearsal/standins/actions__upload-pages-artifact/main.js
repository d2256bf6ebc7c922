// Rehearsal stand-in entry point: run standin.py (next to this file) with the rehearsal's Python ($REHEARSAL_PYTHON).
// act gives a node action every `with:` key as INPUT_*, which standin.py checks against action.yml.
const { spawnSync } = require("child_process");
const path = require("path");
const python = process.env.REHEARSAL_PYTHON || "python3";
const result = spawnSync(python, [path.join(__dirname, "standin.py")], { stdio: "inherit" });
if (result.error) {
  console.log(`::error::rehearsal stand-in could not start ${python}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status === null ? 1 : result.status);
