// Rehearsal stand-in entry point: run _lib/container_actions.py metadata through _lib/node_entry.js.
// act runs a copy of this folder alone; the shared code is found where the rehearsal says.
const path = require("path");
const lib = path.join(process.env.REHEARSAL_STANDINS || path.join(__dirname, ".."), "_lib");
require(path.join(lib, "node_entry.js"))(path.join(lib, "container_actions.py"), ["metadata", __dirname]);
