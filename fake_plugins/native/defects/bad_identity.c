/* identity: a name against the registry's convention and the ID 0, which names no plugin. */
#define DEFECT_NAME "Bad Defect"
#define DEFECT_ID 0u
#include "base_plugin.h"
