/* init: declares a JSON schema but never reads its config, so it accepts anything, even text
 * that is not JSON. */
#define DEFECT_SCHEMA "{\"type\": \"object\", \"properties\": {\"rate\": {\"type\": \"integer\", \"minimum\": 1}," \
                      " \"mode\": {\"enum\": [\"fast\", \"slow\"]}}, \"additionalProperties\": false}"
#include "base_plugin.h"
