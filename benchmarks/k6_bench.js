// k6 for benchmarks/generator_rps.py: constant VUs, one GET in a loop (BENCH_PATH), or the box's read mix
// (BENCH_MIX=1: the weights of wrk_mix.lua, TOKENS and MODEL_IDS files of one value per line).
import http from 'k6/http';

const base = __ENV.BENCH_URL;
const mix = __ENV.BENCH_MIX === '1';
const tokens = mix ? open(__ENV.TOKENS).split('\n').filter(Boolean) : [];
const models = mix ? open(__ENV.MODEL_IDS).split('\n').filter(Boolean) : [];
const providers = ['openai', 'anthropic', 'google', 'meta', 'mistral', 'cohere', 'in-house'];

export const options = {
  insecureSkipTLSVerify: true, // loopback against the box's own CA; the load suite itself verifies TLS
  discardResponseBodies: true,
  summaryTrendStats: ['p(95)', 'p(99)'],
};

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export default function () {
  if (!mix) {
    http.get(base + (__ENV.BENCH_PATH || '/'));
    return;
  }
  const r = Math.random();
  let path;
  if (r < 0.35) path = `/api/models?provider=${pick(providers)}&limit=20`;
  else if (r < 0.55) path = `/api/models/${pick(models.slice(0, 50))}`;
  else if (r < 0.85) path = '/api/evaluations?limit=20';
  else path = '/api/auth/me';
  http.get(base + path, { headers: { Authorization: `Bearer ${pick(tokens)}` } });
}
