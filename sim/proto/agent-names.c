/* Stable names for the agent protocol's enums, indexed by wire value. */
#include <stdio.h>
#include <string.h>

#include "proto/agent.h"

static const char *const cap_names[] = {
    [VD_AGENT_CAP_MOUSE_STATE] = "mouse-state",
    [VD_AGENT_CAP_MONITORS_CONFIG] = "monitors-config",
    [VD_AGENT_CAP_REPLY] = "reply",
    [VD_AGENT_CAP_CLIPBOARD] = "clipboard",
    [VD_AGENT_CAP_DISPLAY_CONFIG] = "display-config",
    [VD_AGENT_CAP_CLIPBOARD_BY_DEMAND] = "clipboard-by-demand",
    [VD_AGENT_CAP_CLIPBOARD_SELECTION] = "clipboard-selection",
    [VD_AGENT_CAP_SPARSE_MONITORS_CONFIG] = "sparse-monitors-config",
    [VD_AGENT_CAP_GUEST_LINEEND_LF] = "guest-lineend-lf",
    [VD_AGENT_CAP_GUEST_LINEEND_CRLF] = "guest-lineend-crlf",
    [VD_AGENT_CAP_MAX_CLIPBOARD] = "max-clipboard",
    [VD_AGENT_CAP_AUDIO_VOLUME_SYNC] = "audio-volume-sync",
    [VD_AGENT_CAP_MONITORS_CONFIG_POSITION] = "monitors-config-position",
    [VD_AGENT_CAP_FILE_XFER_DISABLED] = "file-xfer-disabled",
    [VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS] = "file-xfer-detailed-errors",
    [VD_AGENT_CAP_GRAPHICS_DEVICE_INFO] = "graphics-device-info",
    [VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB] = "clipboard-no-release-on-regrab",
    [VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL] = "clipboard-grab-serial",
};
_Static_assert(G_N_ELEMENTS(cap_names) == VD_AGENT_END_CAP, "a capability has no name");
const vds_names vds_agent_cap_names = VDS_NAMES("capability", cap_names);

static const char *const clip_type_names[] = {
    [VD_AGENT_CLIPBOARD_NONE] = "none",
    [VD_AGENT_CLIPBOARD_UTF8_TEXT] = "utf8-text",
    [VD_AGENT_CLIPBOARD_IMAGE_PNG] = "image-png",
    [VD_AGENT_CLIPBOARD_IMAGE_BMP] = "image-bmp",
    [VD_AGENT_CLIPBOARD_IMAGE_TIFF] = "image-tiff",
    [VD_AGENT_CLIPBOARD_IMAGE_JPG] = "image-jpg",
    [VD_AGENT_CLIPBOARD_FILE_LIST] = "file-list",
};
const vds_names vds_clip_type_names = VDS_NAMES("clipboard type", clip_type_names);

static const char *const clip_sel_names[] = {
    [VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD] = "clipboard",
    [VD_AGENT_CLIPBOARD_SELECTION_PRIMARY] = "primary",
    [VD_AGENT_CLIPBOARD_SELECTION_SECONDARY] = "secondary",
};
const vds_names vds_clip_sel_names = VDS_NAMES("selection", clip_sel_names);

static const char *const reply_error_names[] = {
    [VD_AGENT_SUCCESS] = "success",
    [VD_AGENT_ERROR] = "error",
};
const vds_names vds_reply_error_names = VDS_NAMES("reply error", reply_error_names);

static const char *const xfer_status_names[] = {
    [VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA] = "can-send-data",
    [VD_AGENT_FILE_XFER_STATUS_CANCELLED] = "cancelled",
    [VD_AGENT_FILE_XFER_STATUS_ERROR] = "error",
    [VD_AGENT_FILE_XFER_STATUS_SUCCESS] = "success",
    [VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE] = "not-enough-space",
    [VD_AGENT_FILE_XFER_STATUS_SESSION_LOCKED] = "session-locked",
    [VD_AGENT_FILE_XFER_STATUS_VDAGENT_NOT_CONNECTED] = "vdagent-not-connected",
    [VD_AGENT_FILE_XFER_STATUS_DISABLED] = "disabled",
};
const vds_names vds_xfer_status_names = VDS_NAMES("file-xfer status", xfer_status_names);

/* VD_AGENT_*BUTTON_MASK bit numbers */
static const char *const button_names[] = {
    [1] = "left", [2] = "middle", [3] = "right", [4] = "up",
    [5] = "down", [6] = "side",   [7] = "extra",
};
_Static_assert(VD_AGENT_LBUTTON_MASK == 1 << 1 && VD_AGENT_EBUTTON_MASK == 1 << 7,
               "button masks moved");
const vds_names vds_button_names = VDS_NAMES("button", button_names);

static const char *const monitors_flag_names[] = {
    [0] = "use-pos",
    [1] = "physical-size",
};
_Static_assert(VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE == 1 << 1, "monitor flags moved");
const vds_names vds_monitors_flag_names = VDS_NAMES("monitors-config flag", monitors_flag_names);

static const char *const display_flag_names[] = {
    [0] = "disable-wallpaper",
    [1] = "disable-font-smooth",
    [2] = "disable-animation",
    [3] = "set-color-depth",
};
const vds_names vds_display_flag_names = VDS_NAMES("display-config flag", display_flag_names);

static const char *const port_names[] = {
    [VDP_CLIENT_PORT] = "client",
    [VDP_SERVER_PORT] = "server",
};
const vds_names vds_port_names = VDS_NAMES("port", port_names);

int vds_agent_caps_parse(const char *s, uint32_t *out, vds_err *err)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    uint32_t caps = 0;

    if (g_str_has_prefix(s, "0x") && !strchr(s, ',')) {
        if (!vds_names_find(&vds_agent_cap_names, s, &caps))
            return vds_err_set(err, VDS_ERR_USAGE, NULL, "bad capability word '%s'", s);
        *out = caps;
        return 0;
    }
    for (size_t i = 0; parts[i]; i++) {
        const char *p = g_strstrip(parts[i]);
        uint32_t bit;
        if (!*p)
            continue;
        if (strcmp(p, "vdagentd") == 0) {
            caps |= VDS_CAPS_VDAGENTD;
            continue;
        }
        if (strcmp(p, "spice-gtk") == 0) {
            caps |= VDS_CAPS_SPICE_GTK;
            continue;
        }
        if (!vds_names_find(&vds_agent_cap_names, p, &bit) || bit >= 32) {
            const char *near = vds_names_suggest(&vds_agent_cap_names, p);
            return vds_err_set(err, VDS_ERR_USAGE, NULL, "unknown capability '%s'%s%s%s", p,
                               near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        }
        caps |= VDS_CAP(bit);
    }
    *out = caps;
    return 0;
}
