import Foundation
import Postgres

extension ProductStore {
    /// A refund with restock succeeded: the order's `committed` reservations become `returned` (once: the
    /// guard allows only committed → returned) and their units go back, in product id order, only to the
    /// limited count of the epoch they were taken from (as a release does, docs/invariants.md S5).
    public func returnCommittedReservations(_ db: Connection, orderID: UUID) throws {
        let returned = try db.query(
            """
            UPDATE stock_reservations SET status = 'returned', updated_at = now()
            WHERE order_id = $1 AND status = 'committed'
            RETURNING product_id, quantity, limited, stock_epoch
            """, [orderID]
        ).map {
            (
                try $0.decode("product_id", as: String.self), try $0.decode("quantity", as: Int.self),
                try $0.decode("limited", as: Bool.self), try $0.decode("stock_epoch", as: Int.self)
            )
        }
        for (productID, quantity, limited, epoch) in returned.sorted(by: { $0.0 < $1.0 }) where limited {
            try db.execute(
                """
                UPDATE products SET stock = stock + $1::integer, updated_at = now()
                WHERE id = $2 AND stock IS NOT NULL AND stock_epoch = $3
                """, [quantity, productID, epoch])
        }
    }
}
