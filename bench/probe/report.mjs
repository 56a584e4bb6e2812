#!/usr/bin/env node
// Reads the timestamps bench/probe/probe.cjs wrote during a bench run and prints where a request's time goes, as
// medians per segment (µs), for the gateway and for the floor. Meant for runs at concurrency 1, where requests do
// not overlap: a request is the span between two `req` events of the ingress (or floor ingress) process.
//   node bench/probe/report.mjs [directory]
// Only the second half of the requests of each kind counts (the first half is mostly warm-up).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const directory = process.argv[2] ?? process.env.SWITCHYARD_PROBE_DIR ?? '/tmp/switchyard-probe';
const files = readdirSync(directory);

/** Every event of the processes whose file name starts with `name-`, tagged, in time order. */
function load(name, tag) {
  const events = [];
  for (const file of files.filter((entry) => entry.startsWith(`${name}-`))) {
    for (const line of readFileSync(path.join(directory, file), 'utf8').split('\n')) {
      const [label, time] = line.split(' ');
      if (label && time) events.push({ label: `${tag}${label}`, at: BigInt(time) });
    }
  }
  return events;
}

const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
const micros = (from, to) => Number(to - from) / 1000;
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Splits the merged events into requests, each starting at an ingress `req`; keeps the first of each label. */
function requests(events) {
  const windows = [];
  let current;
  for (const event of events) {
    if (event.label === 'I.req') windows.push((current = []));
    if (current) current.push(event);
  }
  return windows;
}

function report(title, ingress, providers) {
  const events = [...load(ingress, 'I.'), ...load(providers, 'P.'), ...load('simulator', 'S.'), ...load('bench', 'C.')].sort(byTime);
  const client = events.filter((event) => event.label.startsWith('C.'));
  const windows = requests(events.filter((event) => !event.label.startsWith('C.')));
  for (const streamed of [false, true]) {
    const chosen = windows.filter((window) => window.some((event) => event.label === 'I.Ipub' || event.label === 'P.Pmsg') && window.some((event) => event.label === 'I.w') === streamed);
    const measured = chosen.slice(Math.floor(chosen.length / 2));
    if (measured.length === 0) continue;
    const segments = new Map();
    let clientIndex = 0;
    for (const window of measured) {
      // The request's path: the first occurrence of each label, up to the first response byte after the answer came back.
      const seen = new Set();
      const path = [];
      let answered = false;
      for (const event of window) {
        if (seen.has(event.label) || (event.label === 'S.e' && !seen.has('S.req'))) continue;
        seen.add(event.label);
        path.push(event);
        if (event.label === 'I.Ifr') answered = true;
        if ((answered || !seen.has('I.Ipub')) && (event.label === (streamed ? 'I.w' : 'I.e'))) break;
      }
      // The client's side: its request before the ingress saw it, its first response bytes after.
      while (clientIndex < client.length && client[clientIndex].at < window[0].at) clientIndex++;
      const sent = client[clientIndex - 1];
      const head = client.slice(clientIndex, clientIndex + 3).find((event) => event.label === 'C.head');
      if (sent?.label === 'C.req') path.unshift(sent);
      if (head) path.push(head);
      for (let index = 1; index < path.length; index++) {
        const key = `${path[index - 1].label} → ${path[index].label}`;
        if (!segments.has(key)) segments.set(key, { values: [], positions: 0 });
        const segment = segments.get(key);
        segment.values.push(micros(path[index - 1].at, path[index].at));
        segment.positions += index;
      }
    }
    console.log(`${title}, ${streamed ? 'stream (to the first write)' : 'non-stream'}: ${measured.length} requests; median µs per segment`);
    // In path order; segments most requests did not take (warm-up leftovers, rare orderings) are left out.
    const common = [...segments].filter(([, { values }]) => values.length >= measured.length / 2);
    common.sort((a, b) => a[1].positions / a[1].values.length - b[1].positions / b[1].values.length);
    for (const [key, { values }] of common) console.log(`  ${key.padEnd(28)} ${median(values).toFixed(1).padStart(8)}   (n ${values.length})`);
  }
}

report('gateway', 'ingress', 'providers');
report('floor', 'floor-ingress', 'floor-providers');
