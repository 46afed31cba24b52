"""DCL-MoE in PyTorch, the peer for bench/dcl-moe-epoch.ts: the same Table I model, Keras-like init, Adam, batch 64.

Run by the bench with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2) (default threading oversubscribes
this 2-core machine). Prints one JSON line: epoch seconds for DCL-MoE and the LSTM expert, inference flows/s.
"""
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(2)
N, F, C, BATCH = (int(a) for a in sys.argv[1:5])


class Dense(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(m, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, C), nn.Softmax(-1))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.conv = nn.Conv1d(1, 64, 3)
        self.pool = nn.MaxPool1d(2)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Sequential(nn.Linear(64 * ((m - 2) // 2), 64), nn.ReLU(), nn.Linear(64, C), nn.Softmax(-1))

    def forward(self, x):
        h = self.drop(self.pool(torch.relu(self.conv(x.unsqueeze(1)))))
        return self.fc(h.flatten(1))


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 64, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, C), nn.Softmax(-1))

    def forward(self, x):
        _, (h, _) = self.lstm(x.unsqueeze(-1))
        return self.head(torch.relu(h[-1]))


class Moe(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.experts = nn.ModuleList([Dense(m), Cnn(m), Lstm()])
        self.gate = nn.Sequential(nn.Linear(m, 64), nn.ReLU(), nn.Linear(64, 3), nn.Softmax(-1))

    def forward(self, x):
        g = self.gate(x)
        return sum(g[:, e:e + 1] * expert(x) for e, expert in enumerate(self.experts))


def epoch_seconds(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    n = len(x)
    perm = torch.randperm(n)
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        idx = perm[i:i + BATCH]
        probs = model(x[idx])
        loss = nn.functional.nll_loss(torch.log(probs + 1e-7), y[idx])
        l2 = sum((p ** 2).sum() for n, p in model.named_parameters() if 'bias' not in n)
        opt.zero_grad()
        (loss + 1e-4 * l2).backward()
        opt.step()
    return time.perf_counter() - start


torch.manual_seed(1)
x = torch.randn(N, F)
y = torch.randint(0, C, (N,))
epoch_seconds(Moe(F), x[:2048], y[:2048])  # warm-up
moe = Moe(F)
moe_s = epoch_seconds(moe, x, y)
lstm_s = epoch_seconds(Lstm(), x, y)
moe.eval()
with torch.no_grad():
    start = time.perf_counter()
    for _ in range(3):
        for i in range(0, N, 1024):
            moe(x[i:i + 1024])
    inference = 3 * N / (time.perf_counter() - start)
print(json.dumps({"moe": moe_s, "lstm": lstm_s, "inference": inference, "version": torch.__version__}))
