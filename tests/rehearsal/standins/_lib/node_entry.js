// What every node stand-in's main.js does: run a Python script with the rehearsal's Python
// ($REHEARSAL_PYTHON) and end with its exit status. act gives a node action every `with:` key
// as INPUT_*, which the script checks against its action.yml (node_action.py).
const { spawnSync } = require("child_process");

module.exports = function runStandin(script, args) {
  const python = process.env.REHEARSAL_PYTHON || "python3";
  const result = spawnSync(python, [script, ...args], { stdio: "inherit" });
  if (result.error) {
    console.log(`::error::rehearsal stand-in could not start ${python}: ${result.error.message}`);
    process.exit(1);
  }
  process.exit(result.status === null ? 1 : result.status);
};
