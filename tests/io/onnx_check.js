// ONNX Runtime check of theta/io/onnx.hpp (CTest io.onnx_runtime): runs every DIR/<name>.onnx
// that tests/io/onnx_fixture.cpp wrote on the observations of DIR/<name>.json and compares the
// actions with theta's: discrete indices equal, continuous actions within 1e-5. Without Node's
// onnxruntime-node (THETA_ONNXRUNTIME names its directory) it prints THETA_TEST_SKIPPED.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const dir = process.argv[2];
  let ort;
  try {
    ort = require(process.env.THETA_ONNXRUNTIME || 'onnxruntime-node');
  } catch (e) {
    console.log(`THETA_TEST_SKIPPED: onnxruntime-node is not installed (${e.message.split('\n')[0]})`);
    return 0;
  }
  let failed = 0, passed = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const name = path.basename(file, '.json');
    const c = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const session = await ort.InferenceSession.create(path.join(dir, name + '.onnx'));
    const input = new ort.Tensor('float32', Float32Array.from(c.observations), [c.count, c.observation_size]);
    const output = (await session.run({observation: input})).action;
    const got = Array.from(output.data, Number);
    let worst = 0, mismatches = 0;
    if (got.length !== c.actions.length) {
      console.log(`${name}: ${got.length} actions from ONNX Runtime, ${c.actions.length} from theta`);
      failed++;
      continue;
    }
    for (let i = 0; i < got.length; i++) {
      const diff = Math.abs(got[i] - c.actions[i]);
      worst = Math.max(worst, diff);
      if (c.discrete ? diff !== 0 : !(diff <= 1e-5)) mismatches++;
    }
    console.log(`${name}: ${got.length} actions (${output.type}, dims ${output.dims}), ` +
                `largest difference ${worst.toExponential(2)}, ${mismatches} beyond ${c.discrete ? '0' : '1e-5'}`);
    if (mismatches > 0) failed++; else passed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
