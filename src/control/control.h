// Public header of the process-control layer (src/control): discrete PID (positional and
// velocity forms, anti-windup, bumpless transfer, limits), split-range and cascade loops,
// recipe schedules, and the ControlSystem built from a scenario's `control:` block, which runs
// in closed loop with sim::RunSampled (sensor and actuator models in src/sim). docs/control.md.
#ifndef BIOTWIN_CONTROL_CONTROL_H_
#define BIOTWIN_CONTROL_CONTROL_H_

#include "control/control_config.h"
#include "control/control_system.h"
#include "control/pid.h"
#include "control/schedule.h"
#include "control/split_range.h"
#include "sim/actuators.h"
#include "sim/sampled_run.h"
#include "sim/sensors.h"

#endif  // BIOTWIN_CONTROL_CONTROL_H_
