#!/usr/bin/env bash
# Runs the kernel tests and the bench on whatever WebGPU adapter webgpu-dl finds, and writes
# one JSON file with both (and the drivers it saw). Made for a machine with a GPU:
#
#   bench/gpu-check.sh [OUT.json] [-- BENCH OPTIONS]
#
# Needs Node ≥ 20, the Vulkan loader (libvulkan1) and the GPU's Vulkan driver: an ICD manifest
# in /etc/vulkan/icd.d, /usr/local/share/vulkan/icd.d, /usr/share/vulkan/icd.d or (NVIDIA's
# container toolkit) /usr/local/nvidia/share/vulkan/icd.d, plus a device node (/dev/dri/renderD*
# or /dev/nvidia0). VK_DRIVER_FILES / VK_ICD_FILENAMES, when set, choose the driver instead.
# WEBGPU_DL_ADAPTER (auto by default: the GPU when one is found, else SwiftShader) set to
# hardware fails rather than fall back to SwiftShader; software runs the check on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bench/results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ).json}
shift || true
[ "${1:-}" = "--" ] && shift
export WEBGPU_DL_ADAPTER=${WEBGPU_DL_ADAPTER:-auto}
# Kernel choices measured here stay with this run, not in the user's cache.
export WEBGPU_DL_CACHE_DIR=${WEBGPU_DL_CACHE_DIR:-$(mktemp -d)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node scripts/setup.mjs
echo "== kernel tests (adapter: $WEBGPU_DL_ADAPTER)" >&2
tests_ok=true
npx vitest run test/kernels test/device --reporter=default --reporter=json --outputFile.json="$work/tests.json" >&2 || tests_ok=false
echo "== bench" >&2
bench_ok=true
npm run -s bench -- --json --no-save "$@" > "$work/bench.json" || bench_ok=false

{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true; } > "$work/nvidia.txt"
node - "$work" "$out" "$tests_ok" "$bench_ok" <<'NODE'
const fs = require('node:fs');
const [work, out, testsOk, benchOk] = process.argv.slice(2);
const read = (f) => { try { return JSON.parse(fs.readFileSync(`${work}/${f}`, 'utf8')); } catch { return null; } };
const dirs = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
const tests = read('tests.json');
const result = {
  date: new Date().toISOString(),
  adapterChoice: process.env.WEBGPU_DL_ADAPTER,
  vulkanDrivers: dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => `${d}/${f}`) : [])),
  vkEnvironment: { VK_DRIVER_FILES: process.env.VK_DRIVER_FILES ?? null, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? null },
  nvidiaSmi: fs.readFileSync(`${work}/nvidia.txt`, 'utf8').trim() || null,
  tests: tests && { ok: testsOk === 'true', passed: tests.numPassedTests, failed: tests.numFailedTests, total: tests.numTotalTests,
    failures: tests.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${a.fullName}: ${(a.failureMessages[0] ?? '').split('\n')[0]}`)) },
  bench: { ok: benchOk === 'true', result: read('bench.json') },
};
fs.mkdirSync(require('node:path').dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
console.error(`wrote ${out}: tests ${result.tests ? `${result.tests.passed}/${result.tests.total} passed` : 'did not run'}, bench ${result.bench.ok ? 'ok' : 'failed'}`);
process.exit(result.tests?.ok && result.bench.ok ? 0 : 1);
NODE
