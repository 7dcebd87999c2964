"""The replaced Python service's data path, as a Lambda handler: the peer `make bench` compares with.

It reproduces what the old service did, not what it should have done: boto3 calls pushed onto
threads with asyncio.to_thread, DynamoDB Decimals turned into floats for JSON, and the order flow
as check-then-update (read every line's stock, then write each line's new stock, no condition, no
transaction, no ledger). Run under awslambdaric: python -m awslambdaric handler.handler
"""
import asyncio
import json
import os
import time
from decimal import Decimal

import boto3

_endpoint = os.environ.get("DYNAMODB_ENDPOINT")
_dynamodb = boto3.resource(
    "dynamodb",
    endpoint_url=_endpoint,
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    aws_access_key_id="local" if _endpoint else None,
    aws_secret_access_key="local" if _endpoint else None,
)
_products = _dynamodb.Table(os.environ["PRODUCTS_TABLE"])
_inventory = _dynamodb.Table(os.environ["INVENTORY_TABLE"])
_loop = asyncio.new_event_loop()


def _floats(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _http(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(_floats(body)),
    }


async def _get_row(store_id, product_id):
    out = await asyncio.to_thread(
        _inventory.get_item, Key={"store_id": store_id, "product_id": product_id}
    )
    return out.get("Item")


async def get_product(store_id, product_id):
    row = await _get_row(store_id, product_id)
    if row is None:
        return _http(404, {"detail": "Inventory item not found"})
    product = await asyncio.to_thread(_products.get_item, Key={"product_id": product_id})
    row["product"] = product.get("Item")
    return _http(200, row)


async def list_products(store_id, limit):
    out = await asyncio.to_thread(
        _inventory.query,
        KeyConditionExpression="store_id = :s",
        ExpressionAttributeValues={":s": store_id},
        Limit=limit,
    )
    items = out.get("Items", [])
    return _http(200, {"items": items, "count": len(items)})


async def search(store_id, q):
    items, start = [], None
    while True:
        kwargs = {
            "KeyConditionExpression": "store_id = :s",
            "ExpressionAttributeValues": {":s": store_id},
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = await asyncio.to_thread(_inventory.query, **kwargs)
        q_lc = q.lower()
        items += [
            i
            for i in out.get("Items", [])
            if q_lc in str(i.get("name", "")).lower() or q_lc in str(i.get("brand", "")).lower()
        ]
        start = out.get("LastEvaluatedKey")
        if not start:
            break
    return _http(200, {"items": items, "count": len(items)})


async def update_stock(store_id, product_id, change):
    row = await _get_row(store_id, product_id)
    if row is None:
        return _http(404, {"detail": "Inventory item not found"})
    new_stock = int(row.get("current_stock", 0)) + change
    if new_stock < 0:
        return _http(400, {"detail": "Insufficient stock"})
    await asyncio.to_thread(
        _inventory.update_item,
        Key={"store_id": store_id, "product_id": product_id},
        UpdateExpression="SET current_stock = :n, updated_at = :t",
        ExpressionAttributeValues={":n": new_stock, ":t": time.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    row["current_stock"] = new_stock
    return _http(200, row)


async def order(store_id, items, action):
    """check-then-update: N reads, then (unless only checking) N unconditional writes."""
    rows = await asyncio.gather(*(_get_row(store_id, i["product_id"]) for i in items))
    lines, short = [], False
    for item, row in zip(items, rows):
        available = int(row.get("current_stock", 0)) if row else 0
        lines.append(
            {"product_id": item["product_id"], "requested": item["quantity"], "available": available}
        )
        short = short or available < item["quantity"]
    if short or action == "check":
        return {"ok": not short, "action": action, "lines": lines}
    for item, line in zip(items, lines):
        await asyncio.to_thread(
            _inventory.update_item,
            Key={"store_id": store_id, "product_id": item["product_id"]},
            UpdateExpression="SET current_stock = :n, updated_at = :t",
            ExpressionAttributeValues={
                ":n": line["available"] - item["quantity"],
                ":t": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    return {"ok": True, "action": action, "lines": lines}


async def route(event):
    if "action" in event:
        return await order(event["store_id"], event["items"], event["action"])
    key = event.get("routeKey", "")
    params = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}
    if key == "GET /api/v1/inventory/products/{store_id}/{product_id}":
        return await get_product(params["store_id"], params["product_id"])
    if key == "GET /api/v1/inventory/products":
        return await list_products(query["store_id"], int(query.get("limit", "20")))
    if key == "GET /api/v1/inventory/search":
        return await search(query["store_id"], query["q"])
    if key == "PUT /api/v1/inventory/products/{store_id}/{product_id}/stock":
        body = json.loads(event.get("body") or "{}")
        return await update_stock(params["store_id"], params["product_id"], int(body["quantity_change"]))
    if key == "POST /api/v1/inventory/reserve":
        body = json.loads(event.get("body") or "{}")
        result = await order(body["store_id"], body["items"], "reserve")
        return _http(200 if result["ok"] else 409, result)
    return _http(404, {"detail": "Not found"})


def handler(event, context):
    return _loop.run_until_complete(route(event))
