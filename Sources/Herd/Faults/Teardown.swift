// What herd undoes when a signal cuts a rehearsal short.

/// Every fault struck and not yet healed, and the cluster herd started: on SIGINT, SIGTERM or SIGHUP herd stops a
/// cluster it started (which ends every fault in it), or else heals the open faults of the services it broke, so
/// a Ctrl-C never leaves a host's unit stopped under SIGSTOP. The fault runner and the signal handlers share it.
actor Teardown {
    private var cluster: LocalCluster?
    private var target: (any FaultTarget)?
    private var open: [Int: FaultPlan.Fault] = [:]
    private var next = 0

    func adopt(_ cluster: LocalCluster) { self.cluster = cluster }
    func breaking(_ target: any FaultTarget) { self.target = target }

    /// `fault` is in force until `healed(_:)` with the number returned.
    func struck(_ fault: FaultPlan.Fault) -> Int {
        next += 1
        open[next] = fault
        return next
    }

    func healed(_ number: Int) { open[number] = nil }

    func run() async {
        if let cluster {
            await cluster.stop()
            return
        }
        guard let target else { return }
        for fault in open.values { try? await target.heal(fault, struck: true) }
        open = [:]
    }
}
