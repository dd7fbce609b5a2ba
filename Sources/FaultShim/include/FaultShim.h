// FaultShim is loaded with LD_PRELOAD into processes `herd --cluster` starts; it has no API to call.
// See ClockStep.c and NetworkCut.c.
#ifndef FAULT_SHIM_H
#define FAULT_SHIM_H
#endif
