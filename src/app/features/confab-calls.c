/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-calls"

#include "config.h"

#include "confab-calls.h"
#include "confab-call-manager.h"
#include "confab-session.h"

struct _ConfabCalls
{
  ConfabFeature      parent_instance;

  ConfabCallManager *manager;
};

G_DEFINE_FINAL_TYPE (ConfabCalls, confab_calls, CONFAB_TYPE_FEATURE)

static void
confab_calls_dispose (GObject *object)
{
  ConfabCalls *self = CONFAB_CALLS (object);

  g_clear_object (&self->manager);

  G_OBJECT_CLASS (confab_calls_parent_class)->dispose (object);
}

static void
confab_calls_class_init (ConfabCallsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_calls_dispose;
}

static void
confab_calls_init (ConfabCalls *self)
{
}

ConfabCalls *
confab_calls_new (ConfabSession      *session,
                  ConfabMediaDevices *devices)
{
  ConfabCalls *self;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_CALLS, "session", session, NULL);
  self->manager = confab_call_manager_new (confab_session_get_client (session), devices);
  return self;
}

ConfabCalls *
confab_calls_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_CALLS);
}

ConfabCallManager *
confab_calls_get_manager (ConfabCalls *self)
{
  g_return_val_if_fail (CONFAB_IS_CALLS (self), NULL);
  return self->manager;
}
