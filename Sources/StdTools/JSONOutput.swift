// --json: the tools' answers as one JSON document per line, for scripts.
//
// A person reads dir's aligned columns; a script should not have to parse
// them. Each object a std tool is asked about becomes one line, a JSON
// object with the argument it was named by and either the answer or the
// error (its Amoeba name and the words a person would see); dir prints one
// array of rows per path. Keys are sorted so the output is stable to diff.

import AmoebaCore
import Foundation

public enum JSONOutput {
    /// One compact line of JSON.
    public static func line<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings, numbers, arrays and optionals are encoded: cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}

/// One std tool answer about one object.
public struct ObjectAnswer: Encodable {
    public var object: String
    /// STD_INFO's description (std_info).
    public var info: String?
    /// STD_STATUS's report (std_status).
    public var status: String?
    /// The Amoeba name of the error, when the object did not answer.
    public var error: String?
    /// The error in words, as the tool prints it on stderr.
    public var message: String?

    public init(object: String, info: String? = nil, status: String? = nil) {
        self.object = object
        self.info = info
        self.status = status
    }

    public init(object: String, failure: ToolError) {
        self.object = object
        error = failure.code?.name ?? "error"
        message = failure.description
    }
}

extension ObjectAnswer {
    /// What a std tool hands ToolRunner.forEach as `failed`: with --json a
    /// failure is a line of its own too; without, nothing more is said.
    public static func failureLines(json: Bool) -> ((String, ToolError) -> Void)? {
        json ? { arg, e in print(JSONOutput.line(ObjectAnswer(object: arg, failure: e))) } : nil
    }
}
