// k6's constant-arrival-rate executor for benchmarks/generator_ceiling.py: BENCH_RATE iterations a second for
// BENCH_SECONDS, each one GET of BENCH_URL, from a pre-allocated pool of BENCH_VUS virtual users (as gonogo's open
// model: 400). k6 reports the arrivals it could not start as dropped_iterations.
import http from 'k6/http';

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ['p(50)', 'p(95)', 'p(99)'],
  scenarios: {
    arrivals: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.BENCH_RATE),
      timeUnit: '1s',
      duration: `${__ENV.BENCH_SECONDS}s`,
      preAllocatedVUs: Number(__ENV.BENCH_VUS || 400),
      maxVUs: Number(__ENV.BENCH_VUS || 400),
    },
  },
};

export default function () {
  http.get(__ENV.BENCH_URL);
}
