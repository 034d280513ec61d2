#include "trace/trace-target_i386_hwvirt.h"
