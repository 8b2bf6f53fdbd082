#!/usr/bin/env python3
"""PyTorch peer of `distillery bench kd-step`: the same KD training step, printed as one JSON line.

Student MLP 784-H-H-10 (ReLU), Adam lr 1e-3, loss 0.1*CE + 0.9*T^2*KL(p_t || p_s) at T=4,
random inputs, teacher logits and labels. Usage: torch_kd_step.py [--threads N] [--batch 128] [--hidden 800] [--steps 50]
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=800)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    B, H, C, T, alpha = args.batch, args.hidden, 10, 4.0, 0.9
    model = torch.nn.Sequential(
        torch.nn.Linear(784, H), torch.nn.ReLU(),
        torch.nn.Linear(H, H), torch.nn.ReLU(),
        torch.nn.Linear(H, C),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(B, 784)  # [B, 784]
    zt = torch.randn(B, C)  # [B, C] teacher logits
    y = torch.arange(B) % C  # [B]

    def step() -> None:
        zs = model(x)  # [B, C]
        log_ps = F.log_softmax(zs / T, dim=1)  # [B, C]
        log_pt = F.log_softmax(zt / T, dim=1)  # [B, C]
        kl = (log_pt.exp() * (log_pt - log_ps)).sum(1).mean()
        loss = alpha * T * T * kl + (1 - alpha) * F.cross_entropy(zs, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = (time.perf_counter() - t0) / args.steps
    params = 784 * H + H * H + H * C
    # forward 2·B·P, weight grads 2·B·P, input grads of every layer but the first (as ours counts)
    flops = 2 * B * (2 * params + H * H + H * C)
    print(json.dumps({
        "backend": "torch", "version": torch.__version__, "threads": args.threads,
        "batch": B, "hidden": H, "steps": args.steps,
        "ms_per_step": dt * 1e3, "samples_per_s": B / dt, "gflops": flops / dt / 1e9,
    }))


if __name__ == "__main__":
    main()
