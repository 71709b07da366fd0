"""A real SPICE client from Debian (libspice-client-glib, spice-gtk 0.42) that
connects, waits for the agent, grabs the clipboard with a text and serves the
agent's request for it. Prints 'agent-connected', 'grabbed' and 'served N' as
they happen. Usage: spice_gtk_clipboard.py URI TEXT TIMEOUT_S"""
import sys

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib  # noqa: E402

VD_AGENT_CLIPBOARD_UTF8_TEXT = 1
uri, text, timeout = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
loop = GLib.MainLoop()
session = SpiceClientGLib.Session(uri=uri)
result = {"rc": 1}


def say(what):
    print(what, flush=True)


def on_request(main, selection, vtype, serial=None):
    main.clipboard_selection_notify(selection, vtype, text)
    say(f"served {len(text)}")
    return True


VD_AGENT_CAP_CLIPBOARD_BY_DEMAND = 5


def try_grab(main):
    # the agent's capabilities arrive a moment after AGENT_CONNECTED
    if not main.agent_test_capability(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND):
        return True
    main.clipboard_selection_grab(0, [VD_AGENT_CLIPBOARD_UTF8_TEXT])
    say("grabbed")
    return False


def on_agent(main, _pspec):
    if main.props.agent_connected:
        say("agent-connected")
        GLib.timeout_add(50, try_grab, main)


def on_channel(_session, channel):
    if isinstance(channel, SpiceClientGLib.MainChannel):
        # SpiceChannel.connect() links the channel: signals go through GObject's
        GObject.Object.connect(channel, "notify::agent-connected", on_agent)
        GObject.Object.connect(channel, "main-clipboard-selection-request", on_request)
        GObject.Object.connect(channel, "channel-event", on_event)


def on_event(_channel, event):
    if event in (SpiceClientGLib.ChannelEvent.ERROR_CONNECT, SpiceClientGLib.ChannelEvent.ERROR_LINK,
                 SpiceClientGLib.ChannelEvent.ERROR_AUTH, SpiceClientGLib.ChannelEvent.ERROR_IO):
        say(f"channel error {event}")
        loop.quit()


GObject.Object.connect(session, "channel-new", on_channel)
GLib.timeout_add(int(timeout * 1000), loop.quit)
session.connect()
loop.run()
session.disconnect()
