// DCL-MoE feature sets on hand-built flows, and the standardiser fitted on training rows only.
import { describe, expect, it } from 'vitest';
import { extractFeatures, getFeatureSet, listFeatureSets, registerFeatureSet, Standardiser } from '../../../src/data/features/index.ts';
import { makeFlow } from './flow-fixtures.ts';

// Client 60 B at t=100 s, server 1500 B 1 ms later, client 40 B 100 ms after that.
const flow = makeFlow('f', [
  { direction: 1, ipLength: 60, time: 100 },
  { direction: -1, ipLength: 1500, time: 100.001 },
  { direction: 1, ipLength: 40, time: 100.101 },
]);

describe('packet-sequence features', () => {
  it('is the default set and has 40 values', () => {
    const x = extractFeatures([flow]);
    expect(x.featureSet).toBe('packet-sequence');
    expect([x.rows, x.cols]).toEqual([1, 40]);
    expect(x.names.slice(0, 4)).toEqual(['size_0', 'iat_0', 'size_1', 'iat_1']);
  });

  it('interleaves signed IP length and log1p(ms) inter-arrival time, zero-padded', () => {
    const { data } = extractFeatures([flow]);
    // size_0 = +60, iat_0 = 0 (first packet); size_1 = -1500, iat_1 = log1p(1 ms) = ln 2 = 0.693147;
    // size_2 = +40, iat_2 = log1p(100 ms) = ln 101 = 4.615121; everything after packet 2 is padding.
    expect(data[0]).toBe(60);
    expect(data[1]).toBe(0);
    expect(data[2]).toBe(-1500);
    expect(data[3]).toBeCloseTo(Math.LN2, 4);
    expect(data[4]).toBe(40);
    expect(data[5]).toBeCloseTo(4.615121, 4);
    expect(Array.from(data.subarray(6))).toEqual(new Array(34).fill(0));
  });

  it('keeps only the first 20 packets', () => {
    const long = makeFlow('long', Array.from({ length: 25 }, (_, i) => ({ direction: (i % 2 ? -1 : 1) as 1 | -1, ipLength: 100 + i, time: i })));
    const { data } = extractFeatures([long]);
    expect(data[38]).toBe(-119); // packet 19: server side, 100 + 19 bytes
    expect(data[39]).toBeCloseTo(Math.log1p(1000), 4); // 1 s apart
  });
});

describe('flow-statistics features', () => {
  const set = getFeatureSet('flow-statistics');
  const x = extractFeatures([flow], 'flow-statistics');
  const value = (name: string): number => x.data[set.featureNames.indexOf(name)]!;

  it('has 40 named values', () => {
    expect(set.size).toBe(40);
    expect(new Set(set.featureNames).size).toBe(40);
  });

  it('computes per-direction and whole-flow statistics', () => {
    expect(value('duration_log_ms')).toBeCloseTo(Math.log1p(101), 4); // 101 ms from first to last packet
    expect(value('packets_log')).toBeCloseTo(Math.log(4), 5); // log1p(3 packets)
    expect(value('c2s_packet_share')).toBeCloseTo(2 / 3, 6);
    expect(value('c2s_byte_share')).toBeCloseTo(100 / 1600, 6); // (60 + 40) / (60 + 1500 + 40)
    expect(value('direction_changes')).toBe(1); // + - +: 2 changes over 2 gaps
    expect(value('c2s_size_mean')).toBe(50);
    expect(value('c2s_size_std')).toBe(10); // population std of {60, 40}
    expect(value('c2s_size_first')).toBe(60);
    expect(value('s2c_size_max')).toBe(1500);
    expect(value('c2s_iat_mean')).toBeCloseTo(Math.log1p(101), 4); // the client's two packets are 101 ms apart
    expect(value('s2c_iat_mean')).toBe(0); // a single server packet has no gap
    expect(value('s2c_large_share')).toBe(1);
    expect(value('c2s_small_share')).toBe(1);
    expect(value('c2s_empty_share')).toBe(0.5); // the 40-byte packet carries no payload
    expect(value('c2s_burst_mean')).toBe(1); // two runs of one packet
  });
});

describe('feature-set registry', () => {
  it('names the known sets when asked for an unknown one', () => {
    expect(() => getFeatureSet('nope')).toThrow(/unknown feature set "nope".*packet-sequence.*flow-statistics/);
  });

  it('accepts a new set and refuses a duplicate name or a size mismatch', () => {
    registerFeatureSet({
      name: 'first-size',
      description: 'size of the first packet',
      size: 1,
      featureNames: ['size_0'],
      extract: (f, out, o) => void (out[o] = f.packets[0]?.ipLength ?? 0),
    });
    expect(extractFeatures([flow], 'first-size').data[0]).toBe(60);
    expect(listFeatureSets().map((s) => s.name)).toContain('first-size');
    expect(() => registerFeatureSet({ ...getFeatureSet('first-size') })).toThrow(/already registered/);
    expect(() => registerFeatureSet({ ...getFeatureSet('first-size'), name: 'bad', size: 2 })).toThrow(/size 2 but 1/);
  });
});

describe('Standardiser', () => {
  // Rows: [1, 10], [3, 10], [100, 10]; rows 0 and 1 are the training split.
  const x = Float32Array.of(1, 10, 3, 10, 100, 10);

  it('fits on the training rows only and guards zero variance', () => {
    const s = Standardiser.fit(x, 2, [0, 1]);
    // Column 0: mean 2, population std 1 (row 2's 100 must not count). Column 1 is constant: std guarded to 1.
    expect(Array.from(s.mean)).toEqual([2, 10]);
    expect(Array.from(s.std)).toEqual([1, 1]);
    expect(Array.from(s.transform(Float32Array.from(x)))).toEqual([-1, 0, 1, 0, 98, 0]);
    // Fitting on all rows gives different statistics: the row selection matters.
    expect(Standardiser.fit(x, 2).mean[0]).toBeCloseTo(104 / 3, 5);
  });

  it('round-trips through JSON and rejects malformed JSON', () => {
    const s = Standardiser.fit(x, 2, [0, 1]);
    const back = Standardiser.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(Array.from(back.transform(Float64Array.of(5, 12)))).toEqual([3, 2]);
    expect(() => Standardiser.fromJSON({ kind: 'standardiser', mean: [1], std: [0] })).toThrow(/std > 0/);
    expect(() => Standardiser.fromJSON({ mean: [1], std: [1] })).toThrow(/expected/);
    expect(() => Standardiser.fromJSON({ kind: 'standardiser', mean: [1, 2], std: [1] })).toThrow(/2 values and std 1/);
  });

  it('reports bad shapes', () => {
    expect(() => Standardiser.fit(x, 4)).toThrow(/not a multiple of cols=4/);
    expect(() => Standardiser.fit(x, 2, [3])).toThrow(/row 3 out of range/);
    expect(() => Standardiser.fit(x, 2).transform(new Float32Array(3))).toThrow(/not a multiple of 2/);
  });
});
