"""A real SPICE client session from Debian's spice-gtk (libspice-client-glib
0.42) for captures: it sends its monitor config, grabs the clipboard with a
non-ASCII text and serves the agent's request, moves and clicks the mouse
through the inputs channel, then takes what the guest copies. Prints what
happens ('agent', 'monitors', 'grabbed', 'served N', 'mouse', 'got TEXT') so
a test can act in the guest at the right moments. Usage:
spice_gtk_session.py URI TEXT TIMEOUT_S"""
import sys

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib  # noqa: E402

UTF8_TEXT = 1
CAP_CLIPBOARD_BY_DEMAND = 5
BUTTON_LEFT, BUTTON_MASK_LEFT = 1, 1  # SPICE_MOUSE_BUTTON_LEFT, _MASK_LEFT
uri, text, timeout = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
loop = GLib.MainLoop()
session = SpiceClientGLib.Session(uri=uri)
state = {"main": None, "inputs": None, "started": False, "moved": False}


def say(what):
    print(what, flush=True)


def start(main):
    if state["started"] or not main.agent_test_capability(CAP_CLIPBOARD_BY_DEMAND):
        return True  # the agent's capabilities arrive a moment after it connects
    state["started"] = True
    main.update_display_enabled(0, True, False)
    main.update_display(0, 0, 0, 1280, 800, False)
    main.send_monitor_config()
    say("monitors")
    GLib.timeout_add(500, grab, main)
    return False


def grab(main):
    main.clipboard_selection_grab(0, [UTF8_TEXT])
    say("grabbed")
    GLib.timeout_add(3000, mouse)  # whether or not a guest application pastes
    return False


def mouse():
    inputs = state["inputs"]
    if state["moved"]:
        return False
    if inputs is None:
        return True
    state["moved"] = True
    inputs.position(100, 120, 0, 0)
    inputs.button_press(BUTTON_LEFT, BUTTON_MASK_LEFT)
    inputs.button_release(BUTTON_LEFT, 0)
    say("mouse")
    return False


def on_request(main, selection, vtype, serial=None):
    main.clipboard_selection_notify(selection, vtype, text)
    say(f"served {len(text)}")
    GLib.timeout_add(300, mouse)
    return True


def on_guest_grab(main, selection, types, ntypes=None):
    main.clipboard_selection_request(selection, UTF8_TEXT)
    return True


def on_guest_data(main, selection, vtype, data, size=None):
    raw = bytes(data) if not isinstance(data, bytes) else data
    say("got " + raw.decode("utf-8", "replace"))
    GLib.timeout_add(500, loop.quit)


def on_agent(main, _pspec):
    if main.props.agent_connected:
        say("agent")
        GLib.timeout_add(50, start, main)


def on_channel(_session, channel):
    if isinstance(channel, SpiceClientGLib.MainChannel):
        state["main"] = channel
        GObject.Object.connect(channel, "notify::agent-connected", on_agent)
        GObject.Object.connect(channel, "main-clipboard-selection-request", on_request)
        GObject.Object.connect(channel, "main-clipboard-selection-grab", on_guest_grab)
        GObject.Object.connect(channel, "main-clipboard-selection", on_guest_data)
    elif isinstance(channel, SpiceClientGLib.InputsChannel):
        state["inputs"] = channel
        channel.connect()  # SpiceChannel.connect(): the application links what it wants


GObject.Object.connect(session, "channel-new", on_channel)
GLib.timeout_add(int(timeout * 1000), loop.quit)
session.connect()
loop.run()
session.disconnect()
