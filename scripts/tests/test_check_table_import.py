"""scripts/check-table-import.py against production-shaped describe-table output."""

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "check-table-import.py"
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"

spec = importlib.util.spec_from_file_location("check_table_import", SCRIPT)
cti = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cti)


@pytest.fixture
def template():
    return cti.load_template(REPO / "template.yaml")


@pytest.fixture
def production():
    return [
        ("ProductsTable", cti.load_describe(FIXTURES / "global-products.describe.json")),
        ("InventoryTable", cti.load_describe(FIXTURES / "store-inventory.describe.json")),
    ]


def test_the_repository_template_is_safe_over_the_production_tables(template, production):
    refusals, changes = cti.check(template, production, {})

    assert refusals == []
    assert "ProductsTable: enables a NEW_AND_OLD_IMAGES stream" in changes
    assert "ProductsTable: deletion protection -> True" in changes
    assert "InventoryTable: deletion protection -> True" in changes
    # The one new index: the sparse backlog index of crates/inventory/src/db/pending.rs.
    assert [c for c in changes if "index" in c] == [
        "InventoryTable: creates index pending-index (backfilled while the table stays available)"
    ], changes


def test_the_old_template_with_only_the_barcode_index_is_refused(template, production):
    catalog = template["Resources"]["ProductsTable"]["Properties"]
    catalog["GlobalSecondaryIndexes"] = catalog["GlobalSecondaryIndexes"][:1]

    refusals, _ = cti.check(template, production, {})

    assert refusals == [
        "ProductsTable: the template would delete index image_hash-index",
        "ProductsTable: the template would delete index name-brand-index",
    ]


def test_a_changed_table_key_is_refused(template, production):
    inventory = template["Resources"]["InventoryTable"]["Properties"]
    inventory["KeySchema"] = [{"AttributeName": "product_id", "KeyType": "HASH"},
                              {"AttributeName": "store_id", "KeyType": "RANGE"}]

    refusals, _ = cti.check(template, production, {})

    assert len(refusals) == 1 and "key schema differs" in refusals[0], refusals


def test_a_changed_index_key_or_projection_is_refused(template, production):
    gsis = template["Resources"]["ProductsTable"]["Properties"]["GlobalSecondaryIndexes"]
    gsis[1]["KeySchema"] = [{"AttributeName": "brand", "KeyType": "HASH"},
                            {"AttributeName": "name", "KeyType": "RANGE"}]
    gsis[2]["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    refusals, _ = cti.check(template, production, {})

    assert any("changes the keys of index name-brand-index" in r for r in refusals), refusals
    assert any("changes the projection of index image_hash-index" in r for r in refusals), refusals


def test_disabling_or_changing_the_inventory_stream_is_refused(template, production):
    inventory = template["Resources"]["InventoryTable"]["Properties"]
    inventory["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    assert any("changes the stream view" in r for r in cti.check(template, production, {})[0])

    del inventory["StreamSpecification"]
    assert any("would disable the stream" in r for r in cti.check(template, production, {})[0])


def test_two_new_indexes_in_one_deploy_are_refused(template, production):
    products = copy.deepcopy(production[0][1])
    products["GlobalSecondaryIndexes"] = products["GlobalSecondaryIndexes"][:1]

    refusals, _ = cti.check(template, [("ProductsTable", products)], {})

    assert len(refusals) == 1 and "creates one per update" in refusals[0], refusals


def test_a_table_name_other_than_the_parameters_is_refused(template, production):
    refusals, _ = cti.check(template, production, {"ProductsTableName": "staging-global-products"})

    assert any("the template names 'staging-global-products'" in r for r in refusals), refusals


def test_the_import_template_describes_the_tables_exactly_as_they_are(production):
    imported, resources = cti.import_documents(production)

    for logical_id, table in production:
        resource = imported["Resources"][logical_id]
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["Properties"]["TableName"] == table["TableName"], "a literal name"
        # Imported as they are: deploying it over them would change nothing.
        props = copy.deepcopy(resource["Properties"])
        assert cti.diff(logical_id, props, table) == ([], [])
    assert resources == [
        {"ResourceType": "AWS::DynamoDB::Table", "LogicalResourceId": "ProductsTable",
         "ResourceIdentifier": {"TableName": "global-products"}},
        {"ResourceType": "AWS::DynamoDB::Table", "LogicalResourceId": "InventoryTable",
         "ResourceIdentifier": {"TableName": "store-inventory"}},
    ]


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_the_command_line_refuses_with_exit_1_and_passes_with_exit_0(tmp_path):
    products = FIXTURES / "global-products.describe.json"
    inventory = FIXTURES / "store-inventory.describe.json"

    ok = run("check", f"ProductsTable={products}", f"InventoryTable={inventory}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "safe:" in ok.stdout

    text = (REPO / "template.yaml").read_text()
    old = tmp_path / "template.yaml"
    old.write_text(text.replace("        - IndexName: image_hash-index\n", "        - IndexName: image-index\n"))
    refused = run("check", f"ProductsTable={products}", "--template", str(old))
    assert refused.returncode == 1, refused.stdout
    assert "REFUSED  ProductsTable: the template would delete index image_hash-index" in refused.stdout

    out = tmp_path / "import"
    written = run("import-template", f"ProductsTable={products}", f"InventoryTable={inventory}", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert set(json.loads((out / "import-template.json").read_text())["Resources"]) == {"ProductsTable", "InventoryTable"}
