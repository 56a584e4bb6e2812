// Cross-process timing probe for the benchmark (a diagnostic, not part of any service): preloaded into every
// process of a bench run, it records labelled CLOCK_MONOTONIC timestamps (shared by all processes of the machine)
// and writes them to $SWITCHYARD_PROBE_DIR (default /tmp/switchyard-probe) when the process stops.
//   NODE_OPTIONS="--require ./bench/probe/probe.cjs" node bench/run.mjs --concurrency=1 ...
//   node bench/probe/report.mjs
// Without code changes it stamps each HTTP server's `request` event ("req"), response writes ("w") and ends ("e");
// `globalThis.__probe?.('label')` calls placed in the code (see probes.patch) split the path further.
const fs = require('node:fs');
const path = require('node:path');

const script = process.argv[1] ?? '';
const name = script.endsWith('run.mjs') ? 'bench' : script.endsWith('floor.mjs') ? `floor-${process.argv[2]}` : path.basename(path.dirname(path.dirname(script)));
const directory = process.env.SWITCHYARD_PROBE_DIR ?? '/tmp/switchyard-probe';
const labels = [];
const times = [];
globalThis.__probe = (label) => {
  labels.push(label);
  times.push(process.hrtime.bigint());
};

const http = require('node:http');
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event === 'request') globalThis.__probe('req');
  return emit.call(this, event, ...args);
};
const write = http.ServerResponse.prototype.write;
http.ServerResponse.prototype.write = function (...args) {
  globalThis.__probe('w');
  return write.apply(this, args);
};
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) {
  globalThis.__probe('e');
  return end.apply(this, args);
};

let written = false;
function dump() {
  if (written || labels.length === 0) return;
  written = true;
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, `${name}-${process.pid}.txt`), labels.map((label, index) => `${label} ${times[index]}`).join('\n'));
}
process.on('exit', dump);
// Nest re-raises SIGTERM after its shutdown hooks, which skips 'exit': write when the signal arrives.
process.on('SIGTERM', dump);
