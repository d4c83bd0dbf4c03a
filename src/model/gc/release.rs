//! The pacer rules that changed between the modelled releases, go1.19 to go1.23. Each names
//! the release that brought it and the change (golang/go CL) that made it; everything else in
//! mgcpacer.go, mgclimit.go and the trigger bounds is the same in all five releases.

/// How endCycle turns the cons/mark measured in a cycle into the estimate the next trigger
/// uses (runtime/mgcpacer.go: endCycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsMarkSmoothing {
    /// go1.19: a PI controller (kp 0.9, ti 4, tt 1000) steers the estimate toward each
    /// cycle's measurement.
    PiController,
    /// go1.20, CL 417558 "smooth cons/mark with a moving average and use actual trigger":
    /// the mean of this cycle's measurement and the last one.
    MeanOfTwo,
    /// go1.21, CL 467875 "bias the pacer's cons/mark smoothing against noise": the largest
    /// of this cycle's measurement and the four before it (`lastConsMark [4]float64`).
    MaxOfFive,
}

/// The release-dependent rules of the pacer and of the memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacerRules {
    /// How endCycle smooths the cons/mark estimate.
    pub cons_mark: ConsMarkSmoothing,
    /// go1.20, CL 417558: a cycle's `triggered` is the live heap when it starts
    /// (startCycle: `c.triggered = c.heapLive.Load()`), no longer the computed trigger; so
    /// forced and periodic cycles also measure cons/mark.
    pub triggered_is_heap_live: bool,
    /// go1.21, CL 460375 "make the memory limit heap goal headroom proportional":
    /// memoryLimitHeapGoal keeps max(goal/100×3, 1 MiB) under the limit; before, 1 MiB.
    pub proportional_limit_headroom: bool,
    /// go1.22, CL 525555: the background scavenger keeps retained memory under 95% of the
    /// memory limit. go1.19-1.21 computed that goal as limit × (100 − 5), which never binds
    /// (runtime/mgcscavenge.go: gcPaceScavenger), so only the allocation path's scavenging
    /// held memory at the limit.
    pub background_limit_scavenge: bool,
}

/// `memoryLimitHeapGoalHeadroomPercent` (go1.21+).
pub const MEMORY_LIMIT_HEAP_GOAL_HEADROOM_PERCENT: u64 = 3;

impl PacerRules {
    /// go1.19's rules.
    pub const GO1_19: PacerRules = PacerRules {
        cons_mark: ConsMarkSmoothing::PiController,
        triggered_is_heap_live: false,
        proportional_limit_headroom: false,
        background_limit_scavenge: false,
    };

    /// The rules of release 1.`minor` (19 .. 24). go1.22, go1.23 and go1.24 changed nothing
    /// the pacer computes (their changes are to the scavenger, heapScan of large pointerful
    /// objects, how gctrace's P% counts pauses, and worker scheduling), so they share go1.21's
    /// pacer; go1.22's scavenger goal is the one rule here they add.
    pub fn for_minor(minor: u32) -> PacerRules {
        PacerRules {
            cons_mark: match minor {
                ..=19 => ConsMarkSmoothing::PiController,
                20 => ConsMarkSmoothing::MeanOfTwo,
                _ => ConsMarkSmoothing::MaxOfFive,
            },
            triggered_is_heap_live: minor >= 20,
            proportional_limit_headroom: minor >= 21,
            background_limit_scavenge: minor >= 22,
        }
    }

    /// runtime/mgcpacer.go: memoryLimitHeapGoal's headroom for a goal of `goal` bytes.
    pub fn limit_headroom(&self, goal: u64) -> u64 {
        let min = super::pacer::MEMORY_LIMIT_HEAP_GOAL_HEADROOM;
        if self.proportional_limit_headroom {
            // Integer division first, as the runtime does.
            (goal / 100 * MEMORY_LIMIT_HEAP_GOAL_HEADROOM_PERCENT).max(min)
        } else {
            min
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_release_brings_its_change() {
        assert_eq!(PacerRules::for_minor(19), PacerRules::GO1_19);
        let r20 = PacerRules::for_minor(20);
        assert_eq!(r20.cons_mark, ConsMarkSmoothing::MeanOfTwo);
        assert!(r20.triggered_is_heap_live && !r20.proportional_limit_headroom);
        let r21 = PacerRules::for_minor(21);
        assert_eq!(r21.cons_mark, ConsMarkSmoothing::MaxOfFive);
        assert!(r21.proportional_limit_headroom);
        assert!(!r21.background_limit_scavenge);
        // go1.22 and go1.23 changed nothing the pacer computes; go1.22 the scavenger's goal.
        let r22 = PacerRules::for_minor(22);
        assert!(r22.background_limit_scavenge);
        assert_eq!(
            PacerRules {
                background_limit_scavenge: false,
                ..r22
            },
            r21
        );
        assert_eq!(PacerRules::for_minor(23), r22);
    }

    #[test]
    fn headroom_is_one_mib_then_three_percent() {
        let r19 = PacerRules::GO1_19;
        let r21 = PacerRules::for_minor(21);
        assert_eq!(r19.limit_headroom(1 << 30), 1 << 20);
        // 1 GiB / 100 = 10737418 (truncated), x 3.
        assert_eq!(r21.limit_headroom(1 << 30), 32_212_254);
        // Under 33.3 MiB, 3% is less than the 1 MiB floor.
        assert_eq!(r21.limit_headroom(30 << 20), 1 << 20);
    }
}
