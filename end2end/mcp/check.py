"""Drives Switchboard's MCP server with the official MCP client (PyPI `mcp`),
over streamable HTTP or stdio, and checks what a client sees: the handshake,
tools and their schemas, reads, proposals under the workspace's policies, a bad
input named by field, and the two resources. Prints call latencies as JSON.

    check.py --http http://127.0.0.1:3000/mcp --key sbk_... --ticket 1 --email carl@customer.test
    check.py --stdio /path/to/switchboard --key sbk_... --ticket 1 --email carl@customer.test

Exits non-zero with a message on the first failed check. Run by
server/tests/mcp.rs as part of `make test`.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamablehttp_client

EXPECTED_TOOLS = {
    "search_knowledge_base", "create_ticket", "get_customer_history", "escalate_to_human",
    "send_response", "ticket_merge", "apply_macro", "close_ticket", "create_task",
    "tag_ticket", "update_ticket", "create_expense", "schedule_follow_up",
}


def fail(msg):
    print(f"MCP CHECK FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def structured(result):
    if result.structuredContent is not None:
        return result.structuredContent
    return json.loads(result.content[0].text)


async def checks(session, args):
    init = await session.initialize()
    if init.serverInfo.name != "switchboard":
        fail(f"server name {init.serverInfo.name!r}")
    tools = {t.name: t for t in (await session.list_tools()).tools}
    missing = EXPECTED_TOOLS - tools.keys()
    if missing:
        fail(f"tools missing: {sorted(missing)}")
    if "ticket" not in tools["close_ticket"].inputSchema["required"]:
        fail("close_ticket does not require `ticket`")

    # Reads.
    hist = structured(await session.call_tool("get_customer_history", {"customer_email": args.email}))
    if not hist["tickets"] or hist["tickets"][0]["number"] != args.ticket:
        fail(f"customer history: {hist}")
    kb = structured(await session.call_tool("search_knowledge_base", {"query": "track my order"}))
    if not kb["results"]:
        fail("knowledge base search found nothing")

    # A proposal the policy allows runs at once; one that needs approval waits.
    created = await session.call_tool("create_ticket", {
        "customer_email": "mcp.customer@example.test", "subject": f"Opened over MCP ({args.label})",
        "message": "Hello from an MCP client.",
    })
    c = structured(created)
    if created.isError or c["status"] != "completed" or "TKT-" not in c["output"]["ticket"]:
        fail(f"create_ticket: {c}")
    closing = structured(await session.call_tool("close_ticket", {"ticket": args.ticket, "note": f"asked over MCP {args.label}"}))
    if closing["status"] != "pending" or "approval" not in closing["note"]:
        fail(f"close_ticket should wait for approval: {closing}")

    # Bad input is refused naming the field; an unknown ticket is named too.
    bad = await session.call_tool("update_ticket", {"ticket": args.ticket, "status": "gone"})
    if not bad.isError or "`status`" not in bad.content[0].text:
        fail(f"bad input: {bad}")
    nope = await session.call_tool("tag_ticket", {"ticket": 999999, "add": ["x"]})
    if not nope.isError or "no ticket" not in nope.content[0].text:
        fail(f"unknown ticket: {nope}")

    # Resources with real data.
    uris = {str(r.uri) for r in (await session.list_resources()).resources}
    if uris != {"switchboard://workspace/current", "switchboard://config/platform"}:
        fail(f"resources: {uris}")
    ws = json.loads((await session.read_resource("switchboard://workspace/current")).contents[0].text)
    if ws["name"] != args.workspace or ws["open_tickets"] < 1:
        fail(f"workspace resource: {ws}")
    platform = json.loads((await session.read_resource("switchboard://config/platform")).contents[0].text)
    if platform["product"] != "Switchboard" or platform["database"] not in ("sqlite", "postgresql"):
        fail(f"platform resource: {platform}")

    # Latency of a read tool call, end to end through the client.
    times = []
    for _ in range(30):
        t = time.perf_counter()
        await session.call_tool("get_customer_history", {"customer_email": args.email})
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(json.dumps({
        "transport": args.label,
        "protocol": init.protocolVersion,
        "tools": len(tools),
        "call_ms_p50": round(statistics.median(times), 2),
        "call_ms_p95": round(times[int(len(times) * 0.95) - 1], 2),
    }))


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http")
    p.add_argument("--stdio")
    p.add_argument("--key", required=True)
    p.add_argument("--ticket", type=int, required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--workspace", required=True)
    args = p.parse_args()
    if args.http:
        args.label = "http"
        async with streamablehttp_client(args.http, headers={"Authorization": f"Bearer {args.key}"}) as (r, w, _):
            async with ClientSession(r, w) as s:
                await checks(s, args)
    else:
        args.label = "stdio"
        env = dict(os.environ)
        env["SWITCHBOARD_API_KEY"] = args.key
        params = StdioServerParameters(command=args.stdio, args=["mcp"], env=env)
        async with stdio_client(params) as (r, w):
            async with ClientSession(r, w) as s:
                await checks(s, args)


asyncio.run(main())
