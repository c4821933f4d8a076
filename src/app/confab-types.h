/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The client's types, layer by layer, for headers that only name them: such a header includes
 * this one, not the header of another capability or layer. */

/* engine/ */
typedef struct _ConfabAccount          ConfabAccount;
typedef struct _ConfabCache            ConfabCache;
typedef struct _ConfabClient           ConfabClient;
typedef struct _ConfabFeature          ConfabFeature;
typedef struct _ConfabRooms            ConfabRooms;
typedef struct _ConfabSession          ConfabSession;

/* models/ */
typedef struct _ConfabContact          ConfabContact;
typedef struct _ConfabConversation     ConfabConversation;
typedef struct _ConfabConversationList ConfabConversationList;
typedef struct _ConfabMessage          ConfabMessage;
typedef struct _ConfabMessageList      ConfabMessageList;
typedef struct _ConfabRoom             ConfabRoom;
typedef struct _ConfabRoomMember       ConfabRoomMember;
typedef struct _ConfabUpload           ConfabUpload;

/* calls/ (its enums are in calls/confab-call-types.h) */
typedef struct _ConfabCall             ConfabCall;
typedef struct _ConfabCallManager      ConfabCallManager;
typedef struct _ConfabCallPipeline     ConfabCallPipeline;
typedef struct _ConfabMediaDevices     ConfabMediaDevices;
typedef struct _ConfabVideoPaintable   ConfabVideoPaintable;

/* ui/ */
typedef struct _ConfabApplication      ConfabApplication;
typedef struct _ConfabCallWindow       ConfabCallWindow;
typedef struct _ConfabConversationView ConfabConversationView;
typedef struct _ConfabSigninPage       ConfabSigninPage;
typedef struct _ConfabWindow           ConfabWindow;

/* What the layers hand to each other from their libraries without needing their headers:
 * video goes to the UI as a GdkPaintable; devices and elements are GStreamer's. */
typedef struct _GdkPaintable           GdkPaintable;
typedef struct _GstDevice              GstDevice;
typedef struct _GstElement             GstElement;

G_END_DECLS
