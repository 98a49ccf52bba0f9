/* No defect: the base plugin as it is; plugref check passes it. */
#include "base_plugin.h"
