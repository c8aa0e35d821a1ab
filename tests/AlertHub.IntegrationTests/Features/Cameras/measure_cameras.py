"""Load measurement for the camera supervisor (run by hand, not part of `dotnet test`).

Starts real cameras on 127.0.0.1 (GStreamer RTSP, or one ffmpeg testsrc HLS stream / one still served by
python's http.server shared by every camera), starts the built hub as a process, registers N cameras of one
kind with a 10 s snapshot interval, then samples CPU and memory of the hub and its ffmpeg children from
/proc and the snapshot → SignalR delay seen by a staff WebSocket client.

usage: /usr/bin/python3 measure_cameras.py KIND COUNT [--seconds 60] [--warmup 30] [--size 1280x720] [--fps 25] [--live]
                                          [--sources 1] [--log FILE]
  KIND: rtsp | hls | jpeg-poll; --live also requests each RTSP camera's playlist (relay on); --sources spreads
  RTSP cameras over that many GStreamer servers (a real camera serves one hub connection, not fifty).
needs: dotnet build src/AlertHub.Server first; ffmpeg; node 20+ for the latency client.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../.."))
KEY = "measure-admin-key-0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid, with_children=False):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if with_children else 0)


def rss_bytes(pid):
    return int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE


def our_ffmpegs(media_root):
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if not open(f"/proc/{name}/comm").read().startswith("ffmpeg"):
                continue
            if f"ALERTHUB_MEDIA_ROOT={media_root}".encode() in open(f"/proc/{name}/environ", "rb").read().split(b"\0"):
                found.append(int(name))
        except OSError:
            pass
    return found


def api(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw and response.headers.get_content_type().endswith("json") else raw


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["rtsp", "hls", "jpeg-poll"])
    parser.add_argument("count", type=int)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", default="25")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--sources", type=int, default=1)
    parser.add_argument("--log")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="alerthub-measure-")
    children = []
    try:
        if args.kind == "rtsp":
            urls = []
            for _ in range(args.sources):
                port = free_port()
                cam = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "rtsp_test_camera.py"), str(port), "/cam", args.size, args.fps],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                children.append(cam)
                urls.append(cam.stdout.readline().strip())
        else:
            static = os.path.join(work, "static")
            os.makedirs(static)
            port = free_port()
            if args.kind == "hls":
                children.append(subprocess.Popen([
                    "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", f"testsrc=size={args.size}:rate={args.fps}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", args.fps, "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "2", "-hls_list_size", "6",
                    "-hls_flags", "delete_segments+temp_file", "-hls_segment_filename", os.path.join(static, "seg_%05d.ts"), os.path.join(static, "index.m3u8")]))
                urls = [f"http://127.0.0.1:{port}/index.m3u8"]
                while not os.path.exists(os.path.join(static, "index.m3u8")):
                    time.sleep(0.2)
            else:
                subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size={args.size}", "-frames:v", "1",
                                os.path.join(static, "still.jpg")], check=True)
                urls = [f"http://127.0.0.1:{port}/still.jpg"]
            children.append(subprocess.Popen(["/usr/bin/python3", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", static],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)

        hub_port = free_port()
        base = f"http://127.0.0.1:{hub_port}"
        data = os.path.join(work, "data")
        env = dict(os.environ, ASPNETCORE_ENVIRONMENT="Development", Urls=base, Storage__DataDirectory=data, Auth__BootstrapAdminKey=KEY,
                   Areas__LoadDemoAreas="false", Logging__LogLevel__Default="Warning")
        dll = os.path.join(ROOT, "src/AlertHub.Server/bin/Debug/net10.0/AlertHub.Server.dll")
        log = open(args.log, "w") if args.log else subprocess.DEVNULL
        hub = subprocess.Popen(["dotnet", dll], env=env, cwd=os.path.dirname(dll), stdout=log, stderr=subprocess.STDOUT)
        children.append(hub)
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)

        for i in range(args.count):
            api(base, "POST", "/api/cameras", {"name": f"cam {i}", "kind": args.kind, "url": urls[i % len(urls)], "location": {"lat": 39.3, "lon": 140.5},
                                                "snapshotIntervalSeconds": 10, "liveEnabled": True})
        if args.live:
            ids = [c["id"] for c in api(base, "GET", "/api/cameras")["cameras"]]
            for cid in ids:
                try:
                    api(base, "GET", f"/live/{cid}/index.m3u8")
                except OSError:
                    pass

        time.sleep(args.warmup)
        latency = subprocess.Popen(["node", "--experimental-websocket", os.path.join(HERE, "signalr_latency.mjs"), base, KEY, str(args.seconds)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        media_root = os.path.realpath(os.path.join(data, "cameras"))
        before = {p: cpu_ticks(p) for p in our_ffmpegs(media_root)}
        hub_before = cpu_ticks(hub.pid, with_children=True)
        started = time.time()
        rss_samples = []
        while time.time() - started < args.seconds:
            time.sleep(5)
            if args.live:
                for cid in ids:
                    try:
                        api(base, "GET", f"/live/{cid}/index.m3u8")
                    except OSError:
                        pass
            ffs = our_ffmpegs(media_root)
            rss_samples.append((rss_bytes(hub.pid), sum(rss_bytes(p) for p in ffs if os.path.exists(f"/proc/{p}")), len(ffs)))
        wall = time.time() - started
        after = {p: cpu_ticks(p) for p in our_ffmpegs(media_root)}
        hub_cpu = (cpu_ticks(hub.pid, with_children=True) - hub_before) / TICK
        persistent = sum(after[p] - before.get(p, 0) for p in after) / TICK
        lat = json.loads(latency.communicate(timeout=args.seconds + 30)[0] or "{}")
        cams = api(base, "GET", "/api/cameras")["cameras"]
        statuses = {}
        for c in cams:
            statuses[c["status"]] = statuses.get(c["status"], 0) + 1
        hub_rss = max(s[0] for s in rss_samples)
        ff_rss = max(s[1] for s in rss_samples)
        n_ff = max(s[2] for s in rss_samples)
        total = hub_cpu + persistent
        print(json.dumps({
            "kind": args.kind, "cameras": args.count, "live": args.live, "sources": len(urls), "window_s": round(wall),
            "cpu_percent_of_one_core": {"total": round(100 * total / wall, 1), "per_camera": round(100 * total / wall / args.count, 2),
                                        "hub_incl_reaped_children": round(100 * hub_cpu / wall, 1), "running_ffmpeg": round(100 * persistent / wall, 1)},
            "rss_mib": {"hub": round(hub_rss / 2**20), "ffmpeg_total": round(ff_rss / 2**20), "ffmpeg_processes": n_ff,
                        "per_ffmpeg": round(ff_rss / 2**20 / n_ff, 1) if n_ff else None},
            "statuses": statuses, "snapshot_to_signalr_ms": lat,
            "loadavg": open("/proc/loadavg").read().split()[:3],
        }, indent=1))
    finally:
        for child in reversed(children):
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        leftovers = our_ffmpegs(os.path.realpath(os.path.join(work, "data", "cameras")))
        print(f"ffmpeg left after the hub stopped: {len(leftovers)}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
