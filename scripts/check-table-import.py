#!/usr/bin/env python3
"""Compare production tables (`aws dynamodb describe-table` JSON) with template.yaml before
adopting them into the stack, and write the template for the CloudFormation IMPORT.

  check           refuse (exit 1) if deploying template.yaml over these tables would delete or
                  change an index, change a key, or drop or replace a stream; otherwise list the
                  in-place changes the first `sam deploy` will make (exit 0).
  import-template write the IMPORT change set's template (these tables exactly as they are, with
                  literal names and DeletionPolicy Retain) and its resources-to-import file.

  scripts/check-table-import.py check ProductsTable=products.json InventoryTable=inventory.json
  scripts/check-table-import.py import-template ProductsTable=products.json \\
      InventoryTable=inventory.json --out build/import

See README, "Adopting the existing tables". Needs PyYAML (tools/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags read as their long forms (`!Ref X` -> {"Ref": X})."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict:
    with path.open() as f:
        return yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def load_describe(path: Path) -> dict:
    with path.open() as f:
        data = json.load(f)
    return data.get("Table", data)


def resolve(value: Any, parameters: dict, overrides: dict[str, str]) -> Any:
    """A `Ref` to a parameter becomes its override or default; anything else is returned as is."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in overrides:
            return overrides[name]
        if "Default" in parameters.get(name, {}):
            return parameters[name]["Default"]
        raise SystemExit(f"{name} has no default: pass --parameter {name}=<value>")
    return value


def _keys(schema: list | None) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema or []]


def _projection(p: dict | None) -> tuple[str, tuple[str, ...]]:
    p = p or {}
    return (p.get("ProjectionType", "ALL"), tuple(sorted(p.get("NonKeyAttributes", []))))


def _indexes(items: list | None) -> dict[str, dict]:
    return {i["IndexName"]: i for i in items or []}


def diff(name: str, props: dict, table: dict) -> tuple[list[str], list[str]]:
    """(refusals, changes) for deploying `props` (a template table) over `table` (describe-table)."""
    refuse: list[str] = []
    change: list[str] = []
    if props["TableName"] != table["TableName"]:
        refuse.append(f"{name}: the template names {props['TableName']!r}, the table is {table['TableName']!r}")
    if _keys(props.get("KeySchema")) != _keys(table.get("KeySchema")):
        refuse.append(f"{name}: the key schema differs ({_keys(props.get('KeySchema'))} vs "
                      f"{_keys(table.get('KeySchema'))}): CloudFormation would replace the table")

    want_types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions", [])}
    have_types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    for attr in sorted(set(want_types) & set(have_types)):
        if want_types[attr] != have_types[attr]:
            refuse.append(f"{name}: key attribute {attr} is {have_types[attr]}, the template says {want_types[attr]}")

    want = _indexes(props.get("GlobalSecondaryIndexes"))
    have = _indexes(table.get("GlobalSecondaryIndexes"))
    for index in sorted(set(have) - set(want)):
        refuse.append(f"{name}: the template would delete index {index}")
    for index in sorted(set(have) & set(want)):
        if _keys(want[index].get("KeySchema")) != _keys(have[index].get("KeySchema")):
            refuse.append(f"{name}: the template changes the keys of index {index} "
                          f"({_keys(have[index].get('KeySchema'))} -> {_keys(want[index].get('KeySchema'))}): "
                          "a delete and a rebuild")
        if _projection(want[index].get("Projection")) != _projection(have[index].get("Projection")):
            refuse.append(f"{name}: the template changes the projection of index {index}: a delete and a rebuild")
    added = sorted(set(want) - set(have))
    if len(added) > 1:
        refuse.append(f"{name}: the template adds {len(added)} indexes ({', '.join(added)}); "
                      "CloudFormation creates one per update: add them one deploy at a time")
    for index in added:
        change.append(f"{name}: creates index {index} (backfilled while the table stays available)")

    if _indexes(props.get("LocalSecondaryIndexes")).keys() != _indexes(table.get("LocalSecondaryIndexes")).keys():
        refuse.append(f"{name}: local secondary indexes differ; they cannot change without replacing the table")

    want_billing = props.get("BillingMode", "PROVISIONED")
    have_billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if want_billing != have_billing:
        change.append(f"{name}: billing mode {have_billing} -> {want_billing} (allowed once per 24 hours)")

    want_stream = (props.get("StreamSpecification") or {}).get("StreamViewType")
    spec = table.get("StreamSpecification") or {}
    have_stream = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    if have_stream and not want_stream:
        refuse.append(f"{name}: the template would disable the stream; its consumers would stop")
    elif have_stream and want_stream and have_stream != want_stream:
        refuse.append(f"{name}: the template changes the stream view {have_stream} -> {want_stream}: "
                      "a new stream, and existing consumers lose their position")
    elif want_stream and not have_stream:
        change.append(f"{name}: enables a {want_stream} stream")

    sse = props.get("SSESpecification") or {}
    want_sse = "KMS" if sse.get("SSEEnabled") else "AWS_OWNED"
    described = table.get("SSEDescription") or {}
    have_sse = described.get("SSEType", "KMS") if described.get("Status") in ("ENABLED", "UPDATING") else "AWS_OWNED"
    if want_sse != have_sse:
        change.append(f"{name}: encryption {have_sse} -> {want_sse}")

    want_class = props.get("TableClass", "STANDARD")
    have_class = table.get("TableClassSummary", {}).get("TableClass", "STANDARD")
    if want_class != have_class:
        change.append(f"{name}: table class {have_class} -> {want_class}")

    if bool(props.get("DeletionProtectionEnabled")) != bool(table.get("DeletionProtectionEnabled")):
        change.append(f"{name}: deletion protection -> {bool(props.get('DeletionProtectionEnabled'))}")
    return refuse, change


def table_props(template: dict, logical_id: str, overrides: dict[str, str]) -> dict:
    resource = template.get("Resources", {}).get(logical_id)
    if not resource or resource.get("Type") != "AWS::DynamoDB::Table":
        raise SystemExit(f"{logical_id} is not a table in the template")
    props = dict(resource.get("Properties", {}))
    props["TableName"] = resolve(props.get("TableName"), template.get("Parameters", {}), overrides)
    return props


def as_is(table: dict) -> dict:
    """The table exactly as describe-table shows it, as CloudFormation properties."""
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")

    def throughput(t: dict) -> dict:
        return {k: t[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}

    props: dict[str, Any] = {
        "TableName": table["TableName"],
        "BillingMode": billing,
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "DeletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled")),
    }
    if billing == "PROVISIONED":
        props["ProvisionedThroughput"] = throughput(table["ProvisionedThroughput"])
    gsis = []
    for index in table.get("GlobalSecondaryIndexes", []):
        gsi = {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        if billing == "PROVISIONED":
            gsi["ProvisionedThroughput"] = throughput(index["ProvisionedThroughput"])
        gsis.append(gsi)
    if gsis:
        props["GlobalSecondaryIndexes"] = gsis
    if table.get("LocalSecondaryIndexes"):
        props["LocalSecondaryIndexes"] = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in table["LocalSecondaryIndexes"]
        ]
    spec = table.get("StreamSpecification") or {}
    if spec.get("StreamEnabled"):
        props["StreamSpecification"] = {"StreamViewType": spec["StreamViewType"]}
    sse = table.get("SSEDescription") or {}
    if sse.get("Status") in ("ENABLED", "UPDATING"):
        props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS"}
        if sse.get("KMSMasterKeyArn"):
            props["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyArn"]
    else:
        props["SSESpecification"] = {"SSEEnabled": False}
    if table.get("TableClassSummary", {}).get("TableClass"):
        props["TableClass"] = table["TableClassSummary"]["TableClass"]
    return props


def import_documents(pairs: list[tuple[str, dict]]) -> tuple[dict, list[dict]]:
    """The IMPORT change set's template and resources-to-import."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Adopts the existing inventory tables as they are; the first sam deploy then applies template.yaml",
        "Resources": {
            logical_id: {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": as_is(table),
            }
            for logical_id, table in pairs
        },
    }
    resources = [
        {"ResourceType": "AWS::DynamoDB::Table", "LogicalResourceId": logical_id,
         "ResourceIdentifier": {"TableName": table["TableName"]}}
        for logical_id, table in pairs
    ]
    return template, resources


def check(template: dict, pairs: list[tuple[str, dict]], overrides: dict[str, str]) -> tuple[list[str], list[str]]:
    refusals: list[str] = []
    changes: list[str] = []
    for logical_id, table in pairs:
        r, c = diff(logical_id, table_props(template, logical_id, overrides), table)
        refusals += r
        changes += c
    return refusals, changes


def _pairs(items: list[str]) -> list[tuple[str, dict]]:
    pairs = []
    for item in items:
        logical_id, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"expected LOGICAL_ID=describe-table.json, got {item!r}")
        pairs.append((logical_id, load_describe(Path(path))))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "import-template"])
    parser.add_argument("tables", nargs="+", metavar="LOGICAL_ID=describe-table.json")
    parser.add_argument("--template", type=Path, default=REPO / "template.yaml")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter override, as given to sam deploy")
    parser.add_argument("--out", type=Path, help="import-template: the folder to write into")
    args = parser.parse_args(argv)
    pairs = _pairs(args.tables)
    overrides = dict(p.split("=", 1) for p in args.parameter)

    if args.command == "import-template":
        if not args.out:
            parser.error("import-template needs --out")
        args.out.mkdir(parents=True, exist_ok=True)
        template, resources = import_documents(pairs)
        (args.out / "import-template.json").write_text(json.dumps(template, indent=2) + "\n")
        (args.out / "resources-to-import.json").write_text(json.dumps(resources, indent=2) + "\n")
        print(f"wrote {args.out / 'import-template.json'} and {args.out / 'resources-to-import.json'}")
        return 0

    refusals, changes = check(load_template(args.template), pairs, overrides)
    for line in refusals:
        print(f"REFUSED  {line}")
    for line in changes:
        print(f"change   {line}")
    print("Not covered by describe-table: compare `aws dynamodb describe-time-to-live` and "
          "`describe-continuous-backups` with the template's TimeToLiveSpecification and "
          "PointInTimeRecoverySpecification by hand.")
    if refusals:
        print(f"{len(refusals)} refusal(s): do not import and deploy this template over these tables.")
        return 1
    print(f"safe: the first deploy makes {len(changes)} in-place change(s), listed above.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
