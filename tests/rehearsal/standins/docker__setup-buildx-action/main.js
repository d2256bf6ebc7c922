// Rehearsal stand-in entry point: run _lib/container_actions.py KIND with the rehearsal's Python.
// act gives a node action every `with:` key as INPUT_*, which the script checks against action.yml.
const { spawnSync } = require("child_process");
const path = require("path");
const python = process.env.REHEARSAL_PYTHON || "python3";
const lib = path.join(process.env.REHEARSAL_STANDINS || path.join(__dirname, ".."), "_lib", "container_actions.py");
const result = spawnSync(python, [lib, "setup-buildx", __dirname], { stdio: "inherit" });
if (result.error) {
  console.log(`::error::rehearsal stand-in could not start ${python}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status === null ? 1 : result.status);
