// Learning-rate schedules: functions from the step number to a learning rate.

export type Schedule = (step: number) => number;

export function constantSchedule(lr: number): Schedule {
  return () => lr;
}

/**
 * Linear warm-up from 0 to `lr` over `warmupSteps`, then cosine decay to `minLr` at `totalSteps`
 * (the schedule of most transformer recipes, TrafficMoE's included).
 */
export function warmupCosineSchedule(options: { lr: number; warmupSteps: number; totalSteps: number; minLr?: number }): Schedule {
  const { lr, warmupSteps, totalSteps, minLr = 0 } = options;
  if (totalSteps <= 0) throw new Error(`warmupCosineSchedule: totalSteps must be > 0, got ${totalSteps}`);
  return (step) => {
    if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
