/// Placeholder so the package builds while the module is written.
enum CheckoutModule {}
