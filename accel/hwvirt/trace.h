#include "trace/trace-accel_hwvirt.h"
