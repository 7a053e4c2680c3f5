#!/usr/bin/env bash
# No import cycles between the modules of any crate of the workspace.
#
#   scripts/module-cycles.sh
#
# cargo-modules (rust-analyzer underneath: `cargo install cargo-modules --version 0.27.0
# --locked`, the last release for Rust 1.95) writes each library's module graph, with a
# "uses" edge from a module to the module that defines what it imports (re-exports are
# followed to the definition). Its own --acyclic check works on items, where a type and
# its methods always form a cycle, so the graph is reduced to modules here and searched
# for strongly connected components (Tarjan). Prints the cycles and fails if there is one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v cargo-modules >/dev/null || {
  echo "module-cycles.sh: needs cargo-modules (cargo install cargo-modules --version 0.27.0 --locked)" >&2
  exit 2
}
temp_dir work
graph="$work/graph"
status=0
for package in mjpeg-wire pi-server desktop-viewer; do
  cargo modules dependencies -p "$package" --lib --no-externs --no-sysroot \
    --no-fns --no-traits --no-types > "$graph"
  python3 - "$package" "$graph" <<'PY' || status=1
import re, sys
package, graph = sys.argv[1], sys.argv[2]
edges = {}
for line in open(graph):
    m = re.match(r'\s*"([^"]+)" -> "([^"]+)" \[label="uses"', line)
    if m and m.group(1) != m.group(2):
        edges.setdefault(m.group(1), set()).add(m.group(2))
nodes = sorted(set(edges) | {b for bs in edges.values() for b in bs})
index, low, stack, on_stack, cycles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on_stack.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop(); on_stack.discard(w); component.append(w)
            if w == v:
                break
        if len(component) > 1:
            cycles.append(sorted(component))
sys.setrecursionlimit(10_000)
for v in nodes:
    if v not in index:
        visit(v)
uses = sum(len(b) for b in edges.values())
if not nodes:
    print(f"{package}: no module graph (did cargo-modules fail?)", file=sys.stderr)
    sys.exit(1)
print(f"{package}: {len(nodes)} modules, {uses} uses edges, {len(cycles)} cycles")
for component in cycles:
    print("  cycle:", " <-> ".join(component))
    for a in component:
        for b in sorted(edges.get(a, ())):
            if b in component:
                print(f"    {a} uses {b}")
sys.exit(1 if cycles else 0)
PY
done
exit $status
