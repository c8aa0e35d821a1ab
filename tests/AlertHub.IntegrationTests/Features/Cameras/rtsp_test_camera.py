"""A real RTSP camera for the camera tests: GStreamer's RTSP server on 127.0.0.1 serving a moving test
pattern with a burned-in clock as H.264. Run with Debian's python3 (it has the gi bindings).

usage: rtsp_test_camera.py PORT [MOUNT [WIDTHxHEIGHT [FPS]]]   -> prints rtsp://127.0.0.1:PORT/MOUNT once it listens
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
mount = sys.argv[2] if len(sys.argv) > 2 else "/cam"
width, height = (sys.argv[3] if len(sys.argv) > 3 else "640x360").split("x")
fps = sys.argv[4] if len(sys.argv) > 4 else "15"

PIPELINE = (
    f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1 "
    f"! clockoverlay time-format=%H:%M:%S ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
    "! rtph264pay name=pay0 pt=96 config-interval=1 )"
)

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(PIPELINE)
# One encoder shared by every client, as a real camera has.
factory.set_shared(True)
server.get_mount_points().add_factory(mount, factory)
if server.attach(None) == 0:
    sys.exit(f"could not listen on 127.0.0.1:{port}")

print(f"rtsp://127.0.0.1:{port}{mount}", flush=True)
GLib.MainLoop().run()
