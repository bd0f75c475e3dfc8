"""A tiny PyTorch DistributedDataParallel example for the distPyTorch framework (CPU, gloo).

Submit with 2 workers:

    dlicli exec start --framework distPyTorch --num-worker 2 --model-dir examples/ddp-pytorch \
        --model-main main.py --follow -- --epochs 5

The engine starts one process per worker with MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK and
LOCAL_RANK set, so `init_process_group("gloo")` needs no arguments. Each rank trains on its shard of
a small synthetic regression problem; DDP averages the gradients. Rank 0 writes
$RESULT_DIR/val_dict_list.json, $RESULT_DIR/ddp.json (world size, final loss, the weights) and
$RESULT_DIR/model.pt. Run alone (`python main.py`) it is a world of one.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

TRUE_W = [2.0, -3.0, 0.5, 1.5]
TRUE_B = 0.25


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=512)
    return parser.parse_args()


def shard(samples: int, rank: int, world: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The same synthetic data set on every rank (fixed seed); each rank keeps every world-th row."""
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(samples, len(TRUE_W), generator=gen)
    y = x @ torch.tensor(TRUE_W) + TRUE_B + 0.01 * torch.randn(samples, generator=gen)
    return x[rank::world], y[rank::world].unsqueeze(1)


def main() -> int:
    args = parse()
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("RANK", "0")
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    print(f"rank {rank}/{world} (local rank {os.environ.get('LOCAL_RANK', '0')}) up", flush=True)
    torch.manual_seed(0)  # the same initial weights everywhere (DDP also broadcasts rank 0's)
    model = DDP(nn.Linear(len(TRUE_W), 1))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    x, y = shard(args.samples, rank, world)
    history = []
    for epoch in range(1, args.epochs + 1):
        for i in range(0, len(x), 32):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[i : i + 32]), y[i : i + 32])
            loss.backward()  # DDP all-reduces (averages) the gradients across ranks here
            opt.step()
        with torch.no_grad():
            total = nn.functional.mse_loss(model(x), y).detach()
        dist.all_reduce(total)
        mean_loss = total.item() / world
        history.append({"steps": epoch, "loss": mean_loss})
        if rank == 0:
            print(f"epoch {epoch}/{args.epochs}  loss {mean_loss:.5f}", flush=True)
    if rank == 0:
        result = Path(os.environ.get("RESULT_DIR", "result"))
        result.mkdir(parents=True, exist_ok=True)
        weights = model.module.weight.detach().flatten().tolist()
        (result / "val_dict_list.json").write_text(json.dumps(history) + "\n")
        (result / "ddp.json").write_text(
            json.dumps(
                {"world_size": world, "loss": history[-1]["loss"], "weights": weights, "bias": model.module.bias.item()}
            )
            + "\n"
        )
        torch.save(model.module.state_dict(), result / "model.pt")
        print(f"rank 0 wrote results to {result}", flush=True)
    dist.barrier()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
