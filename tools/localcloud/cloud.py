"""The local cloud: the production topology on 127.0.0.1, for the end-to-end tests.

    scripts/local-cloud up|down|status|env|logs [NAME]

(scripts/local-cloud runs scripts/bootstrap, then this file with the project's venv.)
docs/local-cloud.md describes what runs, the ports, the environment and how it differs
from AWS. Each component starts as a session leader whose pid is kept in
.local-cloud/state.json; `down` ends those processes and their descendants, nothing else.
"""

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STATE_DIR = os.path.join(ROOT, ".local-cloud")
STATE = os.path.join(STATE_DIR, "state.json")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
TOOLS = os.path.join(ROOT, "tools", "localcloud")

REGION = "us-east-1"
STACK = os.environ.get("LOCAL_CLOUD_STACK", "booking-local")
SENDER = os.environ.get("LOCAL_CLOUD_SENDER", "noreply@example.com")
PAYMENT_GATEWAY = os.environ.get("LOCAL_CLOUD_PAYMENT_GATEWAY", "simulated")
# (component, port variable, default port), in start order.
PORTS = [("moto", "LOCAL_CLOUD_MOTO_PORT", 5000), ("lambda", "LOCAL_CLOUD_LAMBDA_PORT", 9000),
         ("sfn", "LOCAL_CLOUD_SFN_PORT", 8083)]
COMPONENTS = ["moto", "lambda", "sfn", "poller"]


def say(msg):
    print(f"local-cloud: {msg}", flush=True)


class UpFailed(Exception):
    def __init__(self, msg, component=None):
        super().__init__(msg)
        self.component = component


# ------------------------------------------------------------------ processes


def proc_table():
    """pid -> (ppid, session id, start time) of every live (non-zombie) process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # after the command: [0] state, [1] ppid, [3] session, [19] start time
        if fields and fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), int(fields[3]), int(fields[19]))
    return table


def members(root, table=None):
    """The processes a component consists of: its session (it was started as a session
    leader) and every descendant of it, since cargo lambda watch starts each function
    instance in a session of its own. As {pid: start time}, so that a pid reused later is
    never mistaken for one of ours."""
    table = table if table is not None else proc_table()
    out = {pid: t for pid, (_, sid, t) in table.items() if sid == root}
    frontier = list(out) if out else []
    if root in table:
        out[root] = table[root][2]
        frontier.append(root)
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in out:
                out[child] = table[child][2]
                frontier.append(child)
    return out


def alive(pid):
    return bool(pid) and bool(members(pid))


def component(state, name):
    """The processes of one started component, {} when it is gone. The start time recorded
    at spawn guards against its pid having been reused by an unrelated process."""
    pid = state["pids"].get(name)
    if not pid:
        return {}
    table = proc_table()
    start = state.get("starts", {}).get(name)
    if pid in table and start and table[pid][2] != start:
        return {p: t for p, (_, sid, t) in table.items() if sid == pid and t >= start}
    return members(pid, table)


def still_running(procs):
    table = proc_table()
    return {pid: t for pid, t in procs.items() if pid in table and table[pid][2] == t}


def stop_component(root, procs, grace=8.0):
    """SIGTERM the component's process group (cargo lambda watch then stops its function
    processes itself), then SIGTERM and at last SIGKILL whatever of `procs` is left."""
    if root in procs:
        try:
            os.killpg(root, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for sig, wait in ((None, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
        if sig is not None:
            for pid in still_running(procs):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.time() + wait
        while time.time() < deadline:
            if not still_running(procs):
                return {}
            time.sleep(0.2)
    return still_running(procs)


def spawn(name, argv, env, log_name=None):
    log = open(os.path.join(STATE_DIR, f"{log_name or name}.log"), "ab")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc.pid


# ------------------------------------------------------------------ state


def load_state():
    try:
        with open(STATE) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save_state(state):
    tmp = STATE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, STATE)


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_ports():
    ports, taken = {}, set()
    for name, var, default in PORTS:
        wanted = os.environ.get(var)
        if wanted:
            port = int(wanted)
            if not port_free(port):
                raise UpFailed(f"{var}={port} is in use on 127.0.0.1")
        elif port_free(default) and default not in taken:
            port = default
        else:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            say(f"port {default} is busy: {name} uses {port}")
        taken.add(port)
        ports[name] = port
    return ports


# ------------------------------------------------------------------ readiness


def http(method, url, body=None, headers=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(what, check, pid, timeout, component):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if pid and not alive(pid):
            raise UpFailed(f"{what}: the process exited", component)
        try:
            if check():
                return
        except (OSError, ValueError) as e:  # connection refused, timeouts, bad JSON
            last = e
        time.sleep(0.25)
    raise UpFailed(f"{what}: not ready after {timeout}s ({last})", component)


def tail(component, lines=40):
    path = os.path.join(STATE_DIR, f"{component}.log")
    try:
        with open(path, errors="replace") as f:
            content = f.readlines()[-lines:]
    except FileNotFoundError:
        return f"(no {path})"
    return "".join(content)


# ------------------------------------------------------------------ up


def base_env():
    """The environment of every component: the caller's, minus anything that could point an
    AWS client at a real account, plus dummy credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def interrupted(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def up():
    # Killed or hung up while starting: stop what was started, as on Ctrl-C.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    os.makedirs(STATE_DIR, exist_ok=True)
    state = load_state()
    if state:
        running = [c for c in COMPONENTS if component(state, c)]
        if len(running) == len(COMPONENTS):
            say("already up (scripts/local-cloud down first to restart)")
            return 0
        if running:
            say(f"partly running ({', '.join(running)}): run scripts/local-cloud down first")
            return 1
    for f in os.listdir(STATE_DIR):
        if f.endswith((".log", ".json", ".env")):
            os.remove(os.path.join(STATE_DIR, f))

    t0 = time.time()
    timings = {}
    try:
        ports = pick_ports()
    except UpFailed as e:
        say(f"up FAILED: {e}")
        return 1
    moto = f"http://127.0.0.1:{ports['moto']}"
    lam = f"http://127.0.0.1:{ports['lambda']}"
    sfn = f"http://127.0.0.1:{ports['sfn']}"
    state = {"ports": ports, "pids": {}, "root": ROOT}
    save_state(state)
    env = base_env()

    def started(name, pid):
        state["pids"][name] = pid
        state.setdefault("starts", {})[name] = proc_table().get(pid, (0, 0, 0))[2]
        save_state(state)

    try:
        # 1. moto: DynamoDB, SQS, SES, Secrets Manager.
        t = time.time()
        # moto_serial.py answers one request at a time: moto's TransactWriteItems is not
        # isolated from concurrent requests (see that file); LOCAL_CLOUD_MOTO=plain runs
        # moto_server as it comes.
        if os.environ.get("LOCAL_CLOUD_MOTO", "serial") == "plain":
            argv = [os.path.join(VENV_BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(ports["moto"])]
        else:
            argv = [os.path.join(VENV_BIN, "python"), os.path.join(TOOLS, "moto_serial.py"), str(ports["moto"])]
        started("moto", spawn("moto", argv, env))
        wait_until("moto", lambda: http("GET", f"{moto}/moto-api/")[0] == 200,
                   state["pids"]["moto"], 60, "moto")
        timings["moto"] = time.time() - t

        # 2. The template's table, queues, secret and sender; the functions' environment.
        t = time.time()
        out = subprocess.run([os.path.join(VENV_BIN, "python"), os.path.join(TOOLS, "resources.py"),
                              "--endpoint", moto, "--stack", STACK, "--sender", SENDER,
                              # The simulated gateway until localstripe joins the local cloud.
                              "--parameter", f"PaymentGateway={PAYMENT_GATEWAY}"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise UpFailed(f"resources.py failed:\n{out.stderr.strip()}")
        res = json.loads(out.stdout)
        with open(os.path.join(STATE_DIR, "resources.json"), "w") as f:
            json.dump(res, f, indent=2)
        for w in res.get("warnings", []):
            say(f"warning: {w}")
        timings["resources"] = time.time() - t

        functions = {v["name"]: v for v in res["functions"].values()}
        if not functions:
            raise UpFailed("template.yaml declares no functions")
        fn_env = dict(env)
        fn_env.update(res["functionEnv"])
        fn_env.update({
            "AWS_ENDPOINT_URL": moto,
            "AWS_ENDPOINT_URL_SFN": sfn,
            "NO_COLOR": "1",  # plain log files
            "RUST_LOG": os.environ.get("LOCAL_CLOUD_RUST_LOG", res["functionEnv"].get("RUST_LOG", "info")),
            # Every end-to-end request comes from 127.0.0.1 (cargo lambda watch's sourceIp):
            # the template's 20 registrations per address per hour would stop the suite.
            "BOOKING_REGISTRATIONS_PER_HOUR": os.environ.get("LOCAL_CLOUD_REGISTRATIONS_PER_HOUR", "100000"),
        })
        with open(os.path.join(STATE_DIR, "functions.env"), "w") as f:
            for k in sorted(fn_env):
                if k.startswith("AWS_") or k in res["functionEnv"] or k == "RUST_LOG":
                    f.write(f"{k}={fn_env[k]}\n")

        # 3. Build the function binaries the way cargo lambda watch runs them (`cargo run
        #    --bin NAME` in the workspace), so no invoke waits for a compile.
        if os.environ.get("LOCAL_CLOUD_BUILD", "1") != "0":
            t = time.time()
            say(f"building {', '.join(functions)} (debug; first time takes minutes)")
            argv = ["cargo", "build", "--locked"]
            for name in functions:
                argv += ["--bin", name]
            with open(os.path.join(STATE_DIR, "build.log"), "wb") as log:
                rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
            if rc != 0:
                raise UpFailed("cargo build of the functions failed", "build")
            timings["build"] = time.time() - t

        # 4. cargo lambda watch: every function binary, Invoke API + function URLs.
        t = time.time()
        argv = [os.path.join(VENV_BIN, "cargo-lambda"), "lambda", "watch", "-A", "127.0.0.1",
                "-P", str(ports["lambda"]), "--color", "never",
                "--concurrency", os.environ.get("LOCAL_CLOUD_CONCURRENCY", "4")]
        if os.environ.get("LOCAL_CLOUD_RELOAD", "0") != "1":
            argv.append("--ignore-changes")
        started("lambda", spawn("lambda", argv, fn_env))
        wait_until("cargo lambda watch", lambda: http("GET", f"{lam}/")[0] > 0,
                   state["pids"]["lambda"], 60, "lambda")
        timings["lambda"] = time.time() - t

        # 5. Step Functions: the template's state machines, run from their ASL files.
        t = time.time()
        sfn_config = {
            "host": "127.0.0.1", "port": ports["sfn"], "region": REGION, "account": "123456789012",
            "lambdaEndpoint": lam, "sqsEndpoint": moto,
            "stateMachines": {m["name"]: os.path.join(ROOT, m["definition"]) for m in res["stateMachines"].values()},
            "substitutions": {k: v for m in res["stateMachines"].values() for k, v in m["substitutions"].items()},
        }
        with open(os.path.join(STATE_DIR, "sfn.json"), "w") as f:
            json.dump(sfn_config, f, indent=2)
        started("sfn", spawn("sfn", ["node", os.path.join(TOOLS, "sfn-server.mjs"), "--config",
                                     os.path.join(STATE_DIR, "sfn.json")], env))
        first_machine = next(iter(res["stateMachines"].values()))["arn"]
        wait_until("local Step Functions", lambda: http(
            "POST", f"{sfn}/", {"stateMachineArn": first_machine},
            {"X-Amz-Target": "AWSStepFunctions.DescribeStateMachine",
             "Content-Type": "application/x-amz-json-1.0"})[0] == 200,
            state["pids"]["sfn"], 30, "sfn")
        timings["sfn"] = time.time() - t

        # 6. The SQS -> notify event source mapping.
        t = time.time()
        mappings = event_source_mappings(res)
        if len(mappings) != 1:
            raise UpFailed(f"expected one SQS event source mapping in template.yaml, found {len(mappings)}")
        queue, function, batch_size = mappings[0]
        poller_config = {
            "sqsEndpoint": moto, "region": REGION, "queueUrl": queue["url"], "queueArn": queue["arn"],
            "lambdaEndpoint": lam, "functionName": function,
            "batchSize": min(batch_size, 10) if isinstance(batch_size, int) else 10,
            # Short polls: a long poll would hold the serialised moto for its whole wait.
            "waitTimeSeconds": 1 if os.environ.get("LOCAL_CLOUD_MOTO") == "plain" else 0, "idleMs": 200,
            "failureVisibilitySeconds": int(os.environ.get("LOCAL_CLOUD_RETRY_VISIBILITY", "1")),
        }
        with open(os.path.join(STATE_DIR, "poller.json"), "w") as f:
            json.dump(poller_config, f, indent=2)
        started("poller", spawn("poller", ["node", os.path.join(TOOLS, "sqs-poller.mjs"), "--config",
                                           os.path.join(STATE_DIR, "poller.json")], env))
        wait_until("SQS poller", lambda: "polling=" in tail("poller", 200),
                   state["pids"]["poller"], 30, "poller")
        timings["poller"] = time.time() - t

        # 7. One invoke per function, so the first test does not pay for process start-up.
        if os.environ.get("LOCAL_CLOUD_WARM", "1") != "0":
            t = time.time()
            # Built above: starting is seconds. Not built: each compiles on its first invoke.
            limit = 180 if "build" in timings else 1800
            warm(lam, functions, state["pids"]["lambda"], limit)
            timings["warm"] = time.time() - t

        state["env"] = exported_env(ports, res)
        state["timings"] = {k: round(v, 1) for k, v in timings.items()}
        save_state(state)
        with open(os.path.join(STATE_DIR, "env"), "w") as f:
            f.write(env_lines(state["env"]))
    except BaseException as e:
        component = getattr(e, "component", None)
        say(f"up FAILED: {e if str(e) else type(e).__name__}")
        if component:
            log = "build" if component == "build" else component
            print(f"--- last lines of .local-cloud/{log}.log ---\n{tail(log)}", file=sys.stderr)
        say("stopping what was started")
        down(quiet=True)
        return 130 if isinstance(e, KeyboardInterrupt) else 1

    parts = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    say(f"up in {time.time() - t0:.1f}s ({parts})")
    say(f"moto {moto}  lambda {lam}  sfn {sfn}  logs .local-cloud/")
    say('eval "$(scripts/local-cloud env)" exports the endpoints and names for tests')
    return 0


def event_source_mappings(res):
    """(queue, function name, batch size) for every SQS event source mapping or SAM SQS
    event."""
    import yaml  # from the venv, as resources.py

    sys.path.insert(0, TOOLS)
    from resources import CfnLoader, Tagged  # noqa: E402

    with open(os.path.join(ROOT, "template.yaml")) as f:
        template = yaml.load(f, Loader=CfnLoader)
    resources = template["Resources"]
    queues = res["queues"]

    def logical(value):
        if isinstance(value, Tagged):
            v = value.value
            return (v.split(".")[0] if isinstance(v, str) else v[0])
        return None

    out = []
    for r in resources.values():
        if r["Type"] == "AWS::Lambda::EventSourceMapping":
            p = r["Properties"]
            q, fn = logical(p.get("EventSourceArn")), logical(p.get("FunctionName"))
            if q in queues and fn in res["functions"]:
                out.append((queues[q], res["functions"][fn]["name"], p.get("BatchSize", 10)))
    for lid, r in resources.items():
        if r["Type"] == "AWS::Serverless::Function":
            for ev in ((r.get("Properties") or {}).get("Events") or {}).values():
                if isinstance(ev, dict) and ev.get("Type") == "SQS":
                    q = logical(ev["Properties"].get("Queue"))
                    if q in queues:
                        out.append((queues[q], res["functions"][lid]["name"], ev["Properties"].get("BatchSize", 10)))
    return out


def warm(lam, functions, watch_pid, timeout):
    """Invokes every function once, all at the same time (starting their processes), and
    checks that each answers. A function process that exits while starting (a missing
    variable, a panic in main) makes cargo lambda watch hold the request forever, so its log
    is watched for that meanwhile."""
    results, threads, started = {}, {}, time.time()

    def call(name, req):
        try:
            results[name] = http(*req, timeout=timeout)
        except Exception as e:  # reported below
            results[name] = e
        results[name + ".t"] = time.time() - started

    log_path = os.path.join(STATE_DIR, "lambda.log")
    offset = os.path.getsize(log_path)
    for name, fn in functions.items():
        if fn["http"]:
            req = ("GET", f"{lam}/lambda-url/{name}/api/health", None)
        else:
            payload = {"Records": []} if name == "notify" else {"action": "local-cloud-warm-up"}
            req = ("POST", f"{lam}/2015-03-31/functions/{name}/invocations", payload)
        threads[name] = threading.Thread(target=call, args=(name, req), daemon=True)
        threads[name].start()
    while any(t.is_alive() for t in threads.values()):
        time.sleep(0.25)
        with open(log_path, errors="replace") as f:
            f.seek(offset)
            new = f.read()
        if "ERROR command exited" in new or not alive(watch_pid):
            waiting = [n for n, t in threads.items() if t.is_alive()]
            raise UpFailed(f"a function exited while starting (waiting for {', '.join(waiting)})", "lambda")
        if time.time() - started > timeout:
            waiting = [n for n, t in threads.items() if t.is_alive()]
            raise UpFailed(f"no answer within {timeout}s from {', '.join(waiting)}", "lambda")
    for name, fn in functions.items():
        answer = results[name]
        if isinstance(answer, Exception):
            raise UpFailed(f"function {name}: {answer}", "lambda")
        status, body = answer
        if fn["http"] and status != 200:
            raise UpFailed(f"{name}: GET /api/health answered {status}: {body[:300]!r}", "lambda")
        if not fn["http"]:
            try:
                doc = json.loads(body or b"null")
            except ValueError:
                doc = None
            # An unknown action is a function error: fine, the function runs.
            if not (status == 200 or (status == 500 and isinstance(doc, dict) and "errorType" in doc)):
                raise UpFailed(f"{name}: invoke answered {status}: {body[:300]!r}", "lambda")
        say(f"  {name} answers ({results[name + '.t']:.1f}s)")


def exported_env(ports, res):
    moto = f"http://127.0.0.1:{ports['moto']}"
    lam = f"http://127.0.0.1:{ports['lambda']}"
    sfn = f"http://127.0.0.1:{ports['sfn']}"
    env = {
        "LOCAL_CLOUD": "1",
        "LOCAL_CLOUD_DIR": STATE_DIR,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto,
        "AWS_ENDPOINT_URL_SFN": sfn,
        "MOTO_URL": moto,
        "SFN_URL": sfn,
        "LAMBDA_URL": lam,
        "LAMBDA_WATCH_PORT": str(ports["lambda"]),
        "STACK_NAME": STACK,
    }
    env.update(res["functionEnv"])
    env.pop("RUST_LOG", None)
    for fn in res["functions"].values():
        if fn["http"]:
            url = f"{lam}/lambda-url/{fn['name']}"
            key = fn["name"].upper().replace("-", "_")
            env[f"{key}_API"] = url
            env[f"E2E_{key}_URL"] = url
    for lid, q in res["queues"].items():
        key = {"NotifyQueue": "NOTIFY_QUEUE", "NotifyDeadLetterQueue": "NOTIFY_DLQ"}.get(lid)
        if key:
            env[f"{key}_URL"] = q["url"]
            env[f"{key}_ARN"] = q["arn"]
    env["FUNCTIONS"] = " ".join(fn["name"] for fn in res["functions"].values())
    return env


def env_lines(env):
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())


# ------------------------------------------------------------------ down, status, env


def down(quiet=False):
    state = load_state()
    if not state:
        if not quiet:
            say("not running")
        return 0
    left = {}
    for name in reversed(COMPONENTS):
        pid = state["pids"].get(name)
        procs = component(state, name)
        if procs:
            n = len(procs)
            remaining = stop_component(pid, procs)
            if remaining:
                left[name] = sorted(remaining)
            elif not quiet:
                say(f"stopped {name} ({n} process{'es' if n > 1 else ''})")
    if left:
        say(f"still running after SIGKILL: {left}")
        return 1
    os.remove(STATE)
    return 0


def status():
    state = load_state()
    if not state:
        say("not running")
        return 3
    ports = state["ports"]
    checks = {
        "moto": lambda: http("GET", f"http://127.0.0.1:{ports['moto']}/moto-api/")[0] == 200,
        "lambda": lambda: http("GET", f"http://127.0.0.1:{ports['lambda']}/")[0] > 0,
        "sfn": lambda: http("GET", f"http://127.0.0.1:{ports['sfn']}/health")[0] == 200,
        "poller": lambda: True,
    }
    ok = True
    for name in COMPONENTS:
        pid = state["pids"].get(name)
        procs = component(state, name)
        answering = False
        if procs:
            try:
                answering = checks[name]()
            except OSError:
                pass
        port = ports.get(name)
        where = f"127.0.0.1:{port}" if port else "-"
        st = "up" if procs and answering else ("not answering" if procs else "down")
        ok = ok and st == "up"
        print(f"{name:8} {st:14} {where:16} pid {pid or '-':<8} processes {len(procs)}")
    if "env" not in state:
        print("(up has not finished)")
        ok = False
    return 0 if ok else 1


def print_env():
    state = load_state()
    if not state or "env" not in state:
        say("not running (scripts/local-cloud up)")
        return 1
    sys.stdout.write(env_lines(state["env"]))
    return 0


def logs(which=None):
    for name in [which] if which else COMPONENTS:
        print(f"--- .local-cloud/{name}.log ---")
        print(tail(name, 30))
    return 0


def main(argv):
    cmd = argv[0] if argv else "help"
    if cmd == "up":
        return up()
    if cmd == "down":
        return down()
    if cmd == "status":
        return status()
    if cmd == "env":
        return print_env()
    if cmd == "logs":
        return logs(argv[1] if len(argv) > 1 else None)
    print(__doc__.strip())
    return 0 if cmd in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
