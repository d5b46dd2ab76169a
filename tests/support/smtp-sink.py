#!/usr/bin/python3
# tests/support/smtp-sink.py DIR PORT [DELAY]: a real SMTP server for the
# test suite (Debian's python3-aiosmtpd, with the system python3) on
# 127.0.0.1:PORT. Each message it accepts becomes one JSON file in DIR,
# {"mail_from", "rcpt_tos", "data"} (data as the server received it, dot
# transparency undone), written whole before it is renamed into place, so
# a reader never sees half a file. DELAY seconds (default 0) pass before
# each message is acknowledged, as a slow server's would: the suite checks
# that no answer of the API waits for them. Writes DIR/port once it
# listens; stops on SIGTERM.
import asyncio
import json
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, delay):
        self.folder = folder
        self.delay = delay
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        self.count += 1
        name = "%d-%06d.json" % (time.time_ns(), self.count)
        tmp = os.path.join(self.folder, "." + name)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.original_content.decode("utf-8", "replace"),
            }, f)
        os.rename(tmp, os.path.join(self.folder, name))
        return "250 OK"


def main():
    folder, port = sys.argv[1], int(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    controller = Controller(Sink(folder, delay), hostname="127.0.0.1",
                            port=port, enable_SMTPUTF8=True)
    controller.start()
    with open(os.path.join(folder, "port"), "w") as f:
        f.write("%d\n" % port)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        signal.pause()
    controller.stop()


if __name__ == "__main__":
    main()
