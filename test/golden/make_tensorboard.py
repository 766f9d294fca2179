#!/usr/bin/env python3
"""Golden TensorBoard event-file bytes from the real `tensorboard` package (issue 21).

Run from the repository root with the project's virtual environment (tensorboard installed into it):

    python3 test/golden/make_tensorboard.py   # writes test/golden/tensorboard.json

Each case is a list of events (a file_version event, then scalar events with a wall time, a step
and tag/value pairs) written with tensorboard's own protobufs (event_pb2, summary_pb2) and its
TFRecord RecordWriter into one byte string, stored as hex. The TypeScript encoder must produce the
same bytes for the same events, and the reader in the test must read them back.
"""
import io
import json

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

CASES = [
    {"name": "version only", "events": [{"wallTime": 1700000000.5, "fileVersion": "brain.Event:2"}]},
    {"name": "scalars", "events": [
        {"wallTime": 1700000000.5, "fileVersion": "brain.Event:2"},
        {"wallTime": 1700000001.25, "step": 1, "values": [{"tag": "improve/loss", "value": 3.6003267765045166}, {"tag": "improve/lr", "value": 0.0001}]},
        {"wallTime": 1700000002.0, "step": 2, "values": [{"tag": "eval/testReward", "value": 0.3333333333333333}]},
        {"wallTime": 1700000003.0, "step": 300, "values": [{"tag": "step/kl", "value": -2.4653799635121487e-7}, {"tag": "step/nan", "value": float("nan")}]},
        {"wallTime": 1700000004.0, "step": 70000, "values": [{"tag": "grow/ünïcode", "value": -1.5}, {"tag": "big", "value": 1e30}]},
    ]},
]


def encode(events):
    buf = io.BytesIO()
    w = RecordWriter(buf)
    for e in events:
        ev = event_pb2.Event(wall_time=e["wallTime"])
        if "fileVersion" in e:
            ev.file_version = e["fileVersion"]
        else:
            ev.step = e["step"]
            ev.summary.CopyFrom(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=v["tag"], simple_value=v["value"]) for v in e["values"]]))
        w.write(ev.SerializeToString())
    return buf.getvalue().hex()


def jsonable(v):
    return "NaN" if isinstance(v, float) and v != v else v


out = []
for case in CASES:
    events = [{**e, **({"values": [{"tag": v["tag"], "value": jsonable(v["value"])} for v in e["values"]]} if "values" in e else {})} for e in case["events"]]
    out.append({"name": case["name"], "events": events, "hex": encode(case["events"])})
with open("test/golden/tensorboard.json", "w") as f:
    json.dump({"source": "tensorboard (event_pb2, summary_pb2, RecordWriter)", "cases": out}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote test/golden/tensorboard.json: {len(out)} cases")
