// Device-resident storage (the core hook the gpu.js backend uses): lazy download on host access, free without download on dispose.

import { describe, expect, it } from 'vitest';
import { Storage, type DeviceData } from '../../../src/tensor/storage.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import * as nm from '../../../src/index.ts';

/** A fake device copy that counts downloads and disposals. */
function fakeDevice(values: number[]): DeviceData & { downloads: number; disposed: number } {
  return {
    downloads: 0,
    disposed: 0,
    download() {
      this.downloads++;
      return Float32Array.from(values);
    },
    dispose() {
      this.disposed++;
    },
  };
}

describe('device-resident storage', () => {
  it('downloads once on the first host access, then the host is the only copy', () => {
    const device = fakeDevice([1, 2, 3, 4]);
    const x = new Tensor(Storage.onDevice(device, new Float32Array(0)), [2, 2], 'float32');
    expect(x.storage.device).toBe(device);
    expect(device.downloads).toBe(0);
    expect(nm.sum(x).item()).toBe(10); // a CPU kernel reads it: one download
    expect(x.toFlatArray()).toEqual([1, 2, 3, 4]);
    expect(device.downloads).toBe(1);
    expect(device.disposed).toBe(1);
    expect(x.storage.device).toBeNull();
  });

  it('dispose frees the device copy without downloading it', () => {
    const device = fakeDevice([5, 6]);
    const x = new Tensor(Storage.onDevice(device, new Float32Array(0)), [2], 'float32');
    const view = nm.reshape(x, [1, 2]); // a view shares the storage: nothing moves
    x.dispose();
    expect(device.disposed).toBe(0);
    view.dispose();
    expect(device.downloads).toBe(0);
    expect(device.disposed).toBe(1);
  });

  it('setDevice replaces the values (a device-side write) and frees the previous device copy', () => {
    const first = fakeDevice([1, 1]);
    const second = fakeDevice([7, 8]);
    const x = nm.tensor([0, 0]);
    x.storage.setDevice(first, new Float32Array(0));
    x.storage.setDevice(second, new Float32Array(0));
    expect(first.disposed).toBe(1);
    expect(x.toFlatArray()).toEqual([7, 8]);
  });
});
