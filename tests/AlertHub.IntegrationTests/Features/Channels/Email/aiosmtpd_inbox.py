"""A scriptable SMTP inbox for the e-mail channel tests, on Debian's python3-aiosmtpd.

Usage: python3 aiosmtpd_inbox.py --dir FOLDER [--reject ADDR]... [--tempfail ADDR=N]...

Binds 127.0.0.1 on a free port and prints "PORT <n>". Each accepted message is written to FOLDER as
NNNNNN.eml (renamed into place, so readers never see half a file) and one JSON line per message is appended
to FOLDER/envelopes.jsonl. RCPT for a --reject address answers 550 5.1.1; a --tempfail address answers
451 4.3.0 the first N times. Every RCPT is logged to FOLDER/rcpt.jsonl. Exits when stdin closes.
"""
import argparse
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Inbox:
    def __init__(self, folder, reject, tempfail):
        self.folder = folder
        self.reject = {a.lower() for a in reject}
        self.tempfail = {}
        for spec in tempfail:
            address, _, count = spec.rpartition("=")
            self.tempfail[address.lower()] = int(count)
        self.seq = 0

    def _log(self, name, record):
        with open(os.path.join(self.folder, name), "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.reject:
            self._log("rcpt.jsonl", {"rcpt": address, "reply": 550})
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if self.tempfail.get(key, 0) > 0:
            self.tempfail[key] -= 1
            self._log("rcpt.jsonl", {"rcpt": address, "reply": 451})
            return "451 4.3.0 <%s>: Temporary failure, try again later" % address
        self._log("rcpt.jsonl", {"rcpt": address, "reply": 250})
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seq += 1
        name = "%06d.eml" % self.seq
        path = os.path.join(self.folder, name)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(path + ".tmp", path)
        self._log("envelopes.jsonl", {"file": name, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos})
        return "250 2.0.0 OK: queued as %s" % name


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--tempfail", action="append", default=[])
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    inbox = Inbox(args.dir, args.reject, args.tempfail)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(inbox, hostname="inbox.test", decode_data=False, enable_SMTPUTF8=True), "127.0.0.1", 0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # returns when the test closes stdin (or dies)
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
