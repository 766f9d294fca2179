"""Golden losses and gradients from TRL's own loss code, for test/golden/trl-losses.golden.test.ts.

Each trainer's loss is called as TRL runs it: DPOTrainer._compute_loss, KTOTrainer._compute_loss,
ORPOTrainer / CPOTrainer.get_batch_loss_metrics, GRPOTrainer._compute_loss and
OnlineDPOTrainer.training_step, each as an unbound method on a minimal stand-in for the trainer
(the attributes the method reads, nothing else) and a stand-in model whose output is a leaf tensor
of seeded random logits (or per-token log-probabilities, where the trainer asks for those). Nothing
of the losses is re-implemented here: the numbers are whatever TRL's code computes, in float32 as
it trains on CPU. Recorded: the inputs, the loss and the gradient of the loss w.r.t. the leaf.

Run:  python3 test/golden/make_trl_losses.py   (TRL 1.13, torch 2.13 CPU)
"""

import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import torch
import trl
from trl.trainer.dpo_trainer import DPOTrainer
from trl.trainer.grpo_trainer import GRPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.experimental.cpo.cpo_trainer import CPOTrainer
from trl.experimental.online_dpo.online_dpo_trainer import OnlineDPOTrainer
from trl.experimental.orpo.orpo_trainer import ORPOTrainer

OUT = Path(__file__).with_name("trl-losses.json")
V = 7  # vocabulary of the stand-in model


def arr(t):
    """A tensor as {shape, data}, floats to 8 significant digits (float32 carries about 7)."""
    t = t.detach()
    data = [float(f"{x:.8g}") for x in t.flatten().tolist()] if t.is_floating_point() else [int(x) for x in t.flatten().tolist()]
    return {"shape": list(t.shape), "data": data}


class Accelerator:
    """What the loss methods ask of accelerate on one process."""

    device = torch.device("cpu")
    num_processes = 1
    process_index = 0
    sync_gradients = True

    def gather(self, x):
        return x

    gather_for_metrics = gather

    def reduce(self, x, reduction="sum"):
        return x

    def backward(self, loss, **kwargs):
        loss.backward()

    def unwrap_model(self, m):
        return m


class LogitsModel:
    """A stand-in model: maps each known input_ids tensor to its own leaf of logits."""

    def __init__(self, table):
        self.table = table  # list of (input_ids, logits)
        self.training = True

    def __call__(self, input_ids=None, *args, **kwargs):
        ids = input_ids if input_ids is not None else args[0]
        for known, logits in self.table:
            if known.shape == ids.shape and torch.equal(known, ids):
                return SimpleNamespace(logits=logits)
        raise KeyError("the stand-in model was called with input_ids it does not know")

    def train(self, mode=True):
        return self


def sequences(g, n, T, prompt_lens, completion_lens, pad=0):
    """n rows of token ids (T wide): a prompt, a completion, right padding; and the masks."""
    ids = torch.randint(1, V, (n, T), generator=g)
    attention = torch.zeros(n, T, dtype=torch.long)
    completion = torch.zeros(n, T, dtype=torch.long)
    for i in range(n):
        p, c = prompt_lens[i], completion_lens[i]
        attention[i, : p + c] = 1
        completion[i, p : p + c] = 1
        ids[i, p + c :] = pad
    return ids, attention, completion


def leaf_logits(g, n, T, scale=2.0):
    return (scale * torch.randn(n, T, V, generator=g)).requires_grad_(True)


# --- DPO ------------------------------------------------------------------------------------------

DPO_CASES = [
    {"loss_type": ["sigmoid"]},
    {"loss_type": ["hinge"]},
    {"loss_type": ["ipo"]},
    {"loss_type": ["exo_pair"], "label_smoothing": 1e-3},
    {"loss_type": ["nca_pair"]},
    {"loss_type": ["robust"], "label_smoothing": 0.1},
    {"loss_type": ["bco_pair"]},
    {"loss_type": ["sppo_hard"]},
    {"loss_type": ["aot"], "label_smoothing": 0.1},
    {"loss_type": ["aot"]},
    {"loss_type": ["aot_unpaired"], "label_smoothing": 0.2},
    {"loss_type": ["apo_zero"]},
    {"loss_type": ["apo_down"]},
    {"loss_type": ["discopop"]},
    {"loss_type": ["discopop"], "discopop_tau": 0.5},
    {"loss_type": ["sft"]},
    {"loss_type": ["sigmoid_norm"]},
    {"loss_type": ["sigmoid", "bco_pair", "sft"], "loss_weights": [0.8, 0.2, 1.0]},
    {"loss_type": ["ipo", "hinge"], "loss_weights": [0.5, 2.0], "beta": 0.3},
    {"loss_type": ["sigmoid"], "beta": 0.5, "reference_free": True},
    {"loss_type": ["apo_zero"], "beta": 0.25, "reference_free": True},
]


def dpo_section(g):
    B, T = 4, 9
    prompt_lens, completion_lens = [2, 3, 1, 4, 2, 3, 1, 4], [5, 3, 6, 4, 2, 6, 4, 5]  # chosen rows, then rejected
    ids, attention, completion = sequences(g, 2 * B, T, prompt_lens, completion_lens)
    logits0 = 2.0 * torch.randn(2 * B, T, V, generator=g)
    ref = -8.0 + 2.0 * torch.randn(2 * B, generator=g)
    cases = []
    for case in DPO_CASES:
        logits = logits0.clone().requires_grad_(True)
        model = LogitsModel([(ids, logits)])
        types = case["loss_type"]
        free = case.get("reference_free", False)
        ref_c, ref_r = (torch.zeros(B), torch.zeros(B)) if free else (ref[:B], ref[B:])
        self = SimpleNamespace(
            model=model, accelerator=Accelerator(), aux_loss_enabled=False, ld_alpha=None, precompute_ref_logps=True,
            f_divergence_type="reverse_kl", loss_types=types, loss_weights=case.get("loss_weights", [1.0] * len(types)),
            beta=case.get("beta", 0.1), label_smoothing=case.get("label_smoothing", 0.0), use_weighting=False,
            args=SimpleNamespace(discopop_tau=case.get("discopop_tau", 0.05)),
            _metrics={"train": defaultdict(list), "eval": defaultdict(list)}, _total_train_tokens=0, _tp_size=1,
        )
        inputs = {"input_ids": ids, "attention_mask": attention, "completion_mask": completion, "ref_chosen_logps": ref_c, "ref_rejected_logps": ref_r}
        loss = DPOTrainer._compute_loss(self, model, inputs, return_outputs=False)
        loss.backward()
        cases.append({"params": case, "loss": loss.item(), "grad": arr(logits.grad), "rewardsChosen": self._metrics["train"]["rewards/chosen"][0]})
    return {"inputs": {"ids": arr(ids), "completionMask": arr(completion), "logits": arr(logits0), "ref": arr(ref)}, "cases": cases}


# --- GRPO -----------------------------------------------------------------------------------------

GRPO_CASES = [
    {"loss_type": "grpo", "beta": 0.04},
    {"loss_type": "grpo", "beta": 0.0, "importance_sampling_level": "sequence"},
    {"loss_type": "dr_grpo", "beta": 0.04},
    {"loss_type": "dapo", "beta": 0.0, "epsilon_high": 0.28},
    {"loss_type": "dapo", "beta": 0.04, "epsilon_high": 0.28, "delta": 1.5},
    {"loss_type": "bnpo", "beta": 0.04},
    {"loss_type": "bnpo", "beta": 0.0, "importance_sampling_level": "sequence"},
    {"loss_type": "cispo", "beta": 0.0, "epsilon_high": 1.2},
    {"loss_type": "cispo", "beta": 0.04, "epsilon_high": 5.0},
    {"loss_type": "sapo", "beta": 0.04},
    {"loss_type": "sapo", "beta": 0.0, "sapo_temperature_pos": 2.0, "sapo_temperature_neg": 0.5},
    {"loss_type": "bnpo", "beta": 0.0, "per_token_advantages": True},
]


def grpo_section(g):
    B, P, T = 6, 3, 7
    lengths = [7, 4, 0, 6, 1, 5]  # row 2: a truncated completion with its mask zeroed
    completion_mask = torch.zeros(B, T, dtype=torch.long)
    for i, n in enumerate(lengths):
        completion_mask[i, :n] = 1
    logp0 = -1.5 + 0.7 * torch.randn(B, T, generator=g)
    old = logp0 + 0.35 * torch.randn(B, T, generator=g)
    ref = logp0 + 0.5 * torch.randn(B, T, generator=g)
    adv = torch.randn(B, generator=g)
    adv_tok = torch.randn(B, T, generator=g)
    num_items = torch.tensor(float(2 * completion_mask.sum()))  # a generation batch of twice these rows
    cases = []
    for case in GRPO_CASES:
        logp = logp0.clone().requires_grad_(True)
        per_token_adv = case.get("per_token_advantages", False)
        args = SimpleNamespace(
            use_bias_correction_kl=False, delta=case.get("delta"), steps_per_generation=1,
            sapo_temperature_pos=case.get("sapo_temperature_pos", 1.0), sapo_temperature_neg=case.get("sapo_temperature_neg", 1.05),
        )
        eps = 0.2
        self = SimpleNamespace(
            model=SimpleNamespace(training=True), accelerator=Accelerator(), args=args, aux_loss_enabled=False, top_entropy_quantile=1.0,
            off_policy_mask_threshold=None, importance_sampling_level=case.get("importance_sampling_level", "token"),
            beta=case["beta"], loss_type=case["loss_type"], epsilon_low=eps, epsilon_high=case.get("epsilon_high", eps),
            use_vllm=False, vllm_importance_sampling_correction=False, current_gradient_accumulation_steps=1, max_completion_length=T,
            _entropy_bonus_enabled=False, _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
            _get_per_token_logps_and_entropies=lambda *a, **k: (logp, torch.zeros(B, T), None),
        )
        inputs = {
            "prompt_ids": torch.ones(B, P, dtype=torch.long), "prompt_mask": torch.ones(B, P, dtype=torch.long),
            "completion_ids": torch.ones(B, T, dtype=torch.long), "completion_mask": completion_mask,
            "advantages": adv_tok if per_token_adv else adv, "old_per_token_logps": old, "ref_per_token_logps": ref,
            "num_items_in_batch": num_items,
        }
        loss = GRPOTrainer._compute_loss(self, None, inputs)
        loss.backward()
        cases.append({"params": case, "loss": loss.item(), "grad": arr(logp.grad)})
    inputs = {"logp": arr(logp0), "old": arr(old), "ref": arr(ref), "mask": arr(completion_mask), "advantages": arr(adv),
              "tokenAdvantages": arr(adv_tok), "numItemsInBatch": float(num_items)}
    return {"inputs": inputs, "cases": cases}


# --- KTO ------------------------------------------------------------------------------------------

KTO_CASES = [
    {"loss_type": "kto", "beta": 0.1, "kl": "positive"},
    {"loss_type": "kto", "beta": 0.5, "desirable_weight": 1.33, "undesirable_weight": 0.8, "kl": "positive"},
    {"loss_type": "kto", "beta": 0.2, "kl": "negative"},
    {"loss_type": "apo_zero_unpaired", "beta": 0.3, "kl": "positive"},
]


def kto_section(g):
    B, T = 6, 9
    labels = torch.tensor([True, False, True, True, False, False])
    ids, attention, completion = sequences(g, B, T, [2, 3, 1, 4, 2, 3], [5, 3, 6, 4, 2, 6])
    kl_ids, kl_attention, kl_completion = sequences(g, B, T, [2, 3, 1, 4, 2, 3], [6, 5, 3, 6, 4, 2])
    logits0 = 2.0 * torch.randn(B, T, V, generator=g)
    kl_logits = 2.0 * torch.randn(B, T, V, generator=g)
    ref = -8.0 + 2.0 * torch.randn(B, generator=g)
    ref_kl = {"positive": -16.0 + 0.5 * torch.randn(B, generator=g), "negative": torch.randn(B, generator=g)}
    cases = []
    for case in KTO_CASES:
        logits = logits0.clone().requires_grad_(True)
        model = LogitsModel([(ids, logits), (kl_ids, kl_logits)])
        self = SimpleNamespace(
            model=SimpleNamespace(training=True), accelerator=Accelerator(), aux_loss_enabled=False, use_liger_kernel=False,
            calculate_KL=case["loss_type"] != "apo_zero_unpaired", precompute_ref_logps=True, loss_type=case["loss_type"],
            beta=case["beta"], desirable_weight=case.get("desirable_weight", 1.0), undesirable_weight=case.get("undesirable_weight", 1.0),
            _metrics={"train": defaultdict(list), "eval": defaultdict(list)}, _total_train_tokens=0, _tp_size=1,
        )
        self._compute_kl_logps = lambda m, b, self=self: KTOTrainer._compute_kl_logps(self, m, b)
        inputs = {
            "input_ids": ids, "attention_mask": attention, "completion_mask": completion, "KL_input_ids": kl_ids,
            "KL_attention_mask": kl_attention, "KL_completion_mask": kl_completion, "label": labels, "ref_logps": ref, "ref_KL_logps": ref_kl[case["kl"]],
        }
        loss = KTOTrainer._compute_loss(self, model, inputs, return_outputs=False)
        loss.backward()
        cases.append({"params": case, "loss": loss.item(), "grad": arr(logits.grad), "kl": self._metrics["train"]["kl"][0]})
    inputs = {
        "ids": arr(ids), "completionMask": arr(completion), "klIds": arr(kl_ids), "klCompletionMask": arr(kl_completion),
        "logits": arr(logits0), "klLogits": arr(kl_logits), "labels": [bool(x) for x in labels], "ref": arr(ref),
        "refKl": {k: arr(v) for k, v in ref_kl.items()},
    }
    return {"inputs": inputs, "cases": cases}


# --- ORPO and CPO/SimPO (no reference model) --------------------------------------------------------

def pair_batch(g, B, T):
    """TRL's {chosen,rejected}_{input_ids,attention_mask,labels}: labels are the ids with prompt and padding at -100."""
    batch = {}
    for side, comp in (("chosen", [5, 3, 6, 4]), ("rejected", [2, 6, 4, 5])):
        ids, attention, completion = sequences(g, B, T, [2, 3, 1, 4], comp)
        batch[f"{side}_input_ids"], batch[f"{side}_attention_mask"] = ids, attention
        batch[f"{side}_labels"] = torch.where(completion == 1, ids, torch.full_like(ids, -100))
    return batch


ORPO_CASES = [{"beta": 0.1}, {"beta": 0.5}]
CPO_CASES = [
    {"loss_type": "sigmoid", "beta": 0.1, "cpo_alpha": 1.0},
    {"loss_type": "sigmoid", "beta": 0.2, "cpo_alpha": 0.5, "label_smoothing": 0.1},
    {"loss_type": "hinge", "beta": 0.1, "cpo_alpha": 1.0},
    {"loss_type": "ipo", "beta": 0.3, "cpo_alpha": 1.0},
    {"loss_type": "simpo", "beta": 2.0, "cpo_alpha": 0.0, "simpo_gamma": 0.5},
    {"loss_type": "simpo", "beta": 2.5, "cpo_alpha": 0.3, "simpo_gamma": 1.0},
    {"loss_type": "sigmoid", "beta": 0.1, "cpo_alpha": 1.0, "alpha": 0.25},
]


def reference_free_section(g):
    B, T = 4, 10
    batch = pair_batch(g, B, T)
    logits0 = 2.0 * torch.randn(2 * B, T, V, generator=g)
    concatenated = torch.cat([batch["chosen_input_ids"], batch["rejected_input_ids"]])

    def stand_in(cls, case):
        logits = logits0.clone().requires_grad_(True)
        self = SimpleNamespace(accelerator=Accelerator(), is_encoder_decoder=False, padding_value=0, pad_token_id=0, aux_loss_enabled=False, **case)
        self.concatenated_inputs = cls.concatenated_inputs
        self.get_batch_logps = cls.get_batch_logps
        self.concatenated_forward = lambda m, b: cls.concatenated_forward(self, m, b)
        return self, logits

    orpo = []
    for case in ORPO_CASES:
        self, logits = stand_in(ORPOTrainer, case)
        self.odds_ratio_loss = lambda c, r, self=self: ORPOTrainer.odds_ratio_loss(self, c, r)
        loss, metrics = ORPOTrainer.get_batch_loss_metrics(self, LogitsModel([(concatenated, logits)]), batch, "train")
        loss.backward()
        orpo.append({"params": case, "loss": loss.item(), "grad": arr(logits.grad), "nll": metrics["nll_loss"]})
    cpo = []
    for case in CPO_CASES:
        full = {"label_smoothing": 0.0, "simpo_gamma": 0.5, "alpha": 0.0, **case}
        self, logits = stand_in(CPOTrainer, full)
        self.cpo_loss = lambda c, r, self=self: CPOTrainer.cpo_loss(self, c, r)
        loss, metrics = CPOTrainer.get_batch_loss_metrics(self, LogitsModel([(concatenated, logits)]), batch, "train")
        loss.backward()
        cpo.append({"params": case, "loss": loss.item(), "grad": arr(logits.grad)})
    inputs = {k: arr(v) for k, v in batch.items()}
    inputs["logits"] = arr(logits0)
    return {"inputs": inputs, "orpo": orpo, "cpo": cpo}


# --- Online DPO -----------------------------------------------------------------------------------

ONLINE_DPO_CASES = [
    {"loss_type": "sigmoid", "beta": 0.1},
    {"loss_type": "ipo", "beta": 0.5},
    {"loss_type": "sigmoid", "beta": 0.2, "missing_eos_penalty": 1.0},
]


def online_dpo_section(g):
    B, P, T, eos = 3, 3, 5, 6
    prompt_lens = [3, 1, 2]
    prompt_ids = torch.randint(1, eos, (B, P), generator=g)
    prompt_mask = torch.zeros(B, P, dtype=torch.long)
    for i, n in enumerate(prompt_lens):  # left padding, as TRL's generation pads prompts
        prompt_mask[i, P - n :] = 1
        prompt_ids[i, : P - n] = 0
    prompt_ids, prompt_mask = prompt_ids.repeat(2, 1), prompt_mask.repeat(2, 1)  # two completions per prompt
    completion_lens, ends_in_eos = [5, 2, 4, 3, 5, 1], [False, True, True, True, False, True]
    completion_ids = torch.randint(1, eos, (2 * B, T), generator=g)
    completion_mask = torch.zeros(2 * B, T, dtype=torch.long)
    for i, n in enumerate(completion_lens):
        completion_mask[i, :n] = 1
        completion_ids[i, n:] = 0
        if ends_in_eos[i]:
            completion_ids[i, n - 1] = eos
    rewards0 = torch.tensor([0.5, 1.0, 0.2, 0.5, 0.3, 0.9])  # prompt 0 a tie: the first completion is chosen
    ids = torch.cat([prompt_ids, completion_ids], dim=1)
    logits0 = 2.0 * torch.randn(2 * B, P + T, V, generator=g)
    ref_logits = 2.0 * torch.randn(2 * B, P + T, V, generator=g)
    cases = []
    for case in ONLINE_DPO_CASES:
        logits = logits0.clone().requires_grad_(True)
        model, ref_model = LogitsModel([(ids, logits)]), LogitsModel([(ids, ref_logits)])
        args = SimpleNamespace(use_vllm=False, loss_type=case["loss_type"], missing_eos_penalty=case.get("missing_eos_penalty"),
                               torch_empty_cache_steps=None, optim="adamw_torch", n_gpu=1, gradient_accumulation_steps=1)
        self = SimpleNamespace(
            args=args, beta=case["beta"], ref_model=ref_model, max_length=P + T, accelerator=Accelerator(), reward_funcs=[None],
            is_vision_model=False, _tokenizer=SimpleNamespace(eos_token_id=eos), stats=defaultdict(list), state=SimpleNamespace(global_step=1),
            processing_class=SimpleNamespace(batch_decode=lambda x, **k: ["text"] * len(x)),
            _generate=lambda *a, **k: (prompt_ids, prompt_mask, completion_ids, completion_mask),
            _calculate_rewards_from_functions=lambda **k: rewards0.clone(),
        )
        self._forward = lambda *a, self=self, **k: OnlineDPOTrainer._forward(self, *a, **k)
        loss = OnlineDPOTrainer.training_step(self, model, {"prompt": ["p0", "p1", "p2"]})
        cases.append({"params": case, "loss": loss.item(), "grad": arr(logits.grad)})
    inputs = {"ids": arr(ids), "promptMask": arr(prompt_mask), "completionMask": arr(completion_mask), "eos": eos,
              "rewards": arr(rewards0), "logits": arr(logits0), "refLogits": arr(ref_logits)}
    return {"inputs": inputs, "cases": cases}


def main():
    g = torch.Generator().manual_seed(22)
    fixture = {
        "generator": "test/golden/make_trl_losses.py",
        "trl": trl.__version__,
        "torch": torch.__version__,
        "dpo": dpo_section(g),
        "grpo": grpo_section(g),
        "kto": kto_section(g),
        "referenceFree": reference_free_section(g),
        "onlineDpo": online_dpo_section(g),
    }
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
