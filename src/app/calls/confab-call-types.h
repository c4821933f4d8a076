/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "confab-types.h"

G_BEGIN_DECLS

/* The calls layer's enums; its object types are forward-declared in confab-types.h. */

typedef enum
{
  CONFAB_CALL_ROLE_CALLER,
  CONFAB_CALL_ROLE_CALLEE,
} ConfabCallRole;

typedef enum /*< flags >*/
{
  CONFAB_CALL_MEDIA_NONE  = 0,
  CONFAB_CALL_MEDIA_AUDIO = 1 << 0,
  CONFAB_CALL_MEDIA_VIDEO = 1 << 1,
} ConfabCallMedia;

typedef enum
{
  CONFAB_CALL_STATE_NEW,
  CONFAB_CALL_STATE_CONNECTING,
  CONFAB_CALL_STATE_CONNECTED,
  CONFAB_CALL_STATE_RECONNECTING,
  CONFAB_CALL_STATE_ENDED,
} ConfabCallState;

#define CONFAB_TYPE_CALL_ROLE  (confab_call_role_get_type ())
#define CONFAB_TYPE_CALL_MEDIA (confab_call_media_get_type ())
#define CONFAB_TYPE_CALL_STATE (confab_call_state_get_type ())

GType confab_call_role_get_type  (void);
GType confab_call_media_get_type (void);
GType confab_call_state_get_type (void);

G_END_DECLS
