#!/usr/bin/env python3
"""Scores of reward models that alignkit saved, by AutoModelForSequenceClassification (reward-models.test.ts).

Reads {"jobs": [{"dir": D, "ids": [[...], ...]}]} from stdin; loads each D with
AutoModelForSequenceClassification.from_pretrained(D) and no other argument, as a user would,
and writes {"scores": [[...], ...], "architectures": [...]} to stdout. No gradients.
"""
import json
import sys

import torch
from transformers import AutoModelForSequenceClassification


def main():
    req = json.load(sys.stdin)
    scores, archs = [], []
    with torch.no_grad():
        for job in req['jobs']:
            model = AutoModelForSequenceClassification.from_pretrained(job['dir'])
            model.train(False)
            scores.append(model(torch.tensor(job['ids'])).logits.reshape(-1).tolist())
            archs.append(type(model).__name__)
    json.dump({'scores': scores, 'architectures': archs}, sys.stdout)


if __name__ == '__main__':
    main()
