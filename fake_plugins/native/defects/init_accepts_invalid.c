/* init: declares a JSON schema but never reads its config, so it accepts anything, even text
 * that is not JSON. No defect under 0.3.0, which validates against the schema before init:
 * plugref check passes it with a note. */
#define DEFECT_SCHEMA "{\"type\": \"object\", \"properties\": {\"rate\": {\"type\": \"integer\", \"minimum\": 1}," \
                      " \"mode\": {\"enum\": [\"fast\", \"slow\"]}}, \"additionalProperties\": false}"
#include "base_plugin.h"
