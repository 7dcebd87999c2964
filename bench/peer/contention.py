"""64 concurrent buyers on one product through the peer's order flow, the way the old service
served them: one event loop, boto3 calls on asyncio.to_thread's default pool.
Usage: python contention.py STORE PRODUCT BUYERS; prints one JSON line."""
import asyncio
import json
import sys
import time

import handler


async def main(store, product, buyers):
    async def buy(i):
        quantity = 1 + i % 3
        started = time.perf_counter()
        result = await handler.order(store, [{"product_id": product, "quantity": quantity}], "reserve")
        return result["ok"], quantity, time.perf_counter() - started

    started = time.perf_counter()
    results = await asyncio.gather(*(buy(i) for i in range(buyers)))
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "sold": sum(q for ok, q, _ in results if ok),
        "succeeded": sum(1 for ok, _, _ in results if ok),
        "elapsed_s": elapsed,
        "latencies_s": [t for _, _, t in results],
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
